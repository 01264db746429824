import shutil

import pytest

import course_config
from coursetools.course import data

pytestmark = pytest.mark.unit


@pytest.fixture
def local_copy(tmp_path):
    """A folder holding the real four files, as Debian's package or an instructor would."""
    folder = tmp_path / "local"
    folder.mkdir()
    for name in course_config.FASHION_MNIST_SHA256:
        shutil.copy(data.cache_dir() / name, folder / name)
    return folder


def test_provision_copies_and_verifies_all_four_files(tmp_path, local_copy):
    cache = data.provision(keras_home=tmp_path / "home", search_paths=[local_copy])
    assert cache == tmp_path / "home" / "datasets" / "fashion-mnist"
    for name, digest in course_config.FASHION_MNIST_SHA256.items():
        assert data.sha256(cache / name) == digest


def test_provision_replaces_a_corrupt_cached_file(tmp_path, local_copy):
    cache = data.provision(keras_home=tmp_path / "home", search_paths=[local_copy])
    (cache / "t10k-labels-idx1-ubyte.gz").write_bytes(b"truncated")
    data.provision(keras_home=tmp_path / "home", search_paths=[local_copy])
    assert (
        data.sha256(cache / "t10k-labels-idx1-ubyte.gz")
        == course_config.FASHION_MNIST_SHA256["t10k-labels-idx1-ubyte.gz"]
    )


def test_provision_rejects_a_local_copy_with_a_wrong_checksum(tmp_path, local_copy, monkeypatch):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    (local_copy / "train-labels-idx1-ubyte.gz").write_bytes(b"not the real file")
    with pytest.raises(data.DataError) as error:
        data.provision(keras_home=tmp_path / "home", search_paths=[local_copy])
    message = str(error.value)
    assert "train-labels-idx1-ubyte.gz" in message and "apt-get install dataset-fashion-mnist" in message
    assert not (tmp_path / "home" / "datasets" / "fashion-mnist" / "train-labels-idx1-ubyte.gz").exists()


def test_provision_without_any_local_copy_explains_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    with pytest.raises(data.DataError, match="FASHION_MNIST_DIR"):
        data.provision(keras_home=tmp_path / "home", search_paths=[tmp_path / "nowhere"])


def test_fashion_mnist_dir_variable_is_searched_first(tmp_path, local_copy, monkeypatch):
    monkeypatch.setenv("FASHION_MNIST_DIR", str(local_copy))
    cache = data.provision(keras_home=tmp_path / "home", search_paths=[])
    assert len(list(cache.glob("*.gz"))) == 4
