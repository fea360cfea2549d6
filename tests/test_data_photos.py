"""The photographs of two Debian background packages (``data.photograph``): pinned, verified by
SHA-256, grey floats in [0, 1] reduced without changing their mean, with the spectra of natural images."""

import shutil

import numpy as np
import pytest
from cnnmath import data

DEBIAN = shutil.which("apt-get") is not None and shutil.which("dpkg-deb") is not None
needs_debian = pytest.mark.skipif(
    not DEBIAN, reason="the photographs come from Debian packages: apt-get and dpkg-deb are needed to fetch them"
)


def test_the_packages_are_pinned_and_every_file_has_a_checksum() -> None:
    assert len(data.PHOTOGRAPHS) == 23 == len(set(data.PHOTOGRAPHS))
    for pkg in data.PHOTO_PACKAGES.values():
        assert "=" in pkg.deb and len(pkg.deb_sha256) == 64 and pkg.licence
        for member, digest in pkg.files.values():
            assert member.startswith("usr/share/") and member.endswith(".jpg")
            assert len(digest) == 64 and int(digest, 16) >= 0
    assert {n.split("/")[0] for n in data.PHOTOGRAPHS} == set(data.PHOTO_PACKAGES)
    assert not set(data.PHOTOGRAPHS) & set(data.NATURAL_IMAGES)


def test_bad_names_and_sizes_are_refused_in_one_line() -> None:
    with pytest.raises(data.DataError, match="unknown photograph 'mate/Lena'; allowed: mate/Aqua"):
        data.photograph("mate/Lena")
    with pytest.raises(ValueError, match="short_side must be an int >= 8 or None, got 4"):
        data.photograph("mate/Aqua", short_side=4)
    with pytest.raises(data.DataError, match="unknown image 'lena'; allowed: astronaut.*mate/Aqua"):
        data.natural_image("lena")


def test_a_corrupt_cached_photograph_is_reported(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CNNMATH_DATA", str(tmp_path))
    pkg = data.PHOTO_PACKAGES["mate"]
    folder = tmp_path / "photographs" / pkg.name
    folder.mkdir(parents=True)
    for name in pkg.files:
        (folder / f"{name}.jpg").write_bytes(b"not a photograph")
    with pytest.raises(data.DataError, match=r"Aqua.jpg is corrupt: SHA-256 [0-9a-f]{64}, expected .* delete it"):
        data.photograph("mate/Aqua")


def spectral_exponent(image: np.ndarray) -> float:
    """α of the radially averaged power spectrum P(f) ∝ f^−α (Hann window), fitted on 8 ≤ f ≤ min(H, W)/4."""
    h, w = image.shape
    power = np.abs(np.fft.fftshift(np.fft.fft2((image - image.mean()) * np.outer(np.hanning(h), np.hanning(w))))) ** 2
    y, x = np.indices(power.shape)
    radius = np.hypot(y - h // 2, x - w // 2).astype(int).ravel()
    profile = np.bincount(radius, power.ravel()) / np.bincount(radius)
    f = np.arange(len(profile))
    band = (f >= 8) & (f <= min(h, w) // 4)
    return float(-np.polyfit(np.log(f[band]), np.log(profile[band]), 1)[0])


@needs_debian
def test_every_photograph_is_a_grey_image_with_a_natural_spectrum() -> None:
    exponents = []
    for name in data.PHOTOGRAPHS:
        image = data.photograph(name)
        assert image.dtype == np.float64 and min(image.shape) == data.PHOTO_SHORT_SIDE
        assert 0.0 <= image.min() < image.max() <= 1.0 and image.std() > 0.03
        np.testing.assert_array_equal(data.natural_image(name), image)
        exponents.append(spectral_exponent(image))
    # natural photographs: power falling roughly as 1/f² (α ≈ 2, steeper where the background is out of focus)
    assert all(1.5 <= a <= 4.5 for a in exponents)
    assert 2.0 <= float(np.median(exponents)) <= 3.5


@needs_debian
@pytest.mark.parametrize("name", ["mate/Aqua", "mate/GreenMeadow", "plasma/Path"])
def test_the_reduction_keeps_the_mean_and_the_aspect_ratio(name: str) -> None:
    full = data.photograph(name, short_side=None)
    small = data.photograph(name)
    assert min(full.shape) > min(small.shape) == data.PHOTO_SHORT_SIDE
    assert abs(full.shape[1] / full.shape[0] - small.shape[1] / small.shape[0]) < 2 / data.PHOTO_SHORT_SIDE
    # an anti-aliased reduction is a local average: the mean grey level is kept to within the border effect
    assert abs(full.mean() - small.mean()) < 2e-3
