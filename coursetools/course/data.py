"""Provision Keras' Fashion-MNIST cache from a local copy, checked by SHA-256.

Notebooks keep the plain ``keras.datasets`` call: Keras finds the
files in ``$KERAS_HOME/datasets/fashion-mnist/`` and never goes online.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import course_config


class DataError(RuntimeError):
    """The data set cannot be provisioned; the message says what to do."""


def cache_dir(keras_home: Path | None = None) -> Path:
    return Path(keras_home or course_config.KERAS_HOME) / "datasets" / "fashion-mnist"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_valid(path: Path, expected: str) -> bool:
    return path.is_file() and sha256(path) == expected


def _find_source(name: str, expected: str, search_paths: list[Path]) -> Path | None:
    for folder in search_paths:
        candidate = Path(folder) / name
        if _is_valid(candidate, expected):
            return candidate
    return None


def provision(keras_home: Path | None = None, search_paths: list[Path] | None = None) -> Path:
    """Make sure the four Fashion-MNIST files sit, verified, in the Keras cache.

    Returns the cache folder. Files already present with the right checksum are
    kept; anything missing or corrupt is copied from the first local copy whose
    checksum matches. Raises DataError with instructions when none is found.
    """
    target = cache_dir(keras_home)
    search_paths = list(search_paths if search_paths is not None else course_config.DATA_SEARCH_PATHS)
    extra = os.environ.get("FASHION_MNIST_DIR")
    if extra:
        search_paths.insert(0, Path(extra))
    target.mkdir(parents=True, exist_ok=True)
    missing = []
    for name, expected in course_config.FASHION_MNIST_SHA256.items():
        dest = target / name
        if _is_valid(dest, expected):
            continue
        source = _find_source(name, expected, search_paths)
        if source is None:
            missing.append(name)
            continue
        tmp = dest.with_suffix(dest.suffix + ".part")
        shutil.copyfile(source, tmp)
        os.replace(tmp, dest)  # never leave a half-copied file under the real name
    if missing:
        looked = ", ".join(str(p) for p in search_paths) or "(nowhere)"
        raise DataError(
            f"Fashion-MNIST files missing or with a wrong checksum: {', '.join(missing)}.\n"
            f"Looked in: {looked}.\n"
            "Fix: on Debian/Ubuntu run `sudo apt-get install dataset-fashion-mnist`, "
            "or copy the four original .gz files into a folder and set "
            "FASHION_MNIST_DIR=/that/folder, then run `python -m coursetools data` again."
        )
    return target
