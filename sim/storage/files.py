"""Writing files so that no reader ever sees half of one, even after a crash of the machine."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it; read once, at import
    os.umask(mask)
    return mask


# mkstemp makes files readable by their owner only (0600); results follow the umask like any file.
FILE_MODE = 0o666 & ~_umask()


def write_atomic(path: Path, write) -> None:
    """Write a file through a temporary name, flush it to disk and rename it, so no reader sees
    half a file; then flush the directory so the rename itself survives a power cut."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, FILE_MODE)
    try:
        write(tmp)
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(path.parent)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _fsync(path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
