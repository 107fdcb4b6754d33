"""File helpers shared by pathx: atomic replacement of a file, and sha256 of file contents.

Every file pathx replaces (the run output, bundles, fit weights and metrics, the weight-hash cache)
goes through `atomic_path`/`atomic_write`: the new content is written to a temp file in the same
folder, fsynced, given its permissions and renamed over the old file, and the folder entry is
fsynced. A crash at any point leaves the old complete file or the new complete file; a stray temp
file (TEMP_PREFIX) is all that can remain, and `remove_stale_temps` clears it.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Callable, TextIO

TEMP_PREFIX = ".pathx-tmp-"  # temp files of an interrupted atomic write carry this prefix
_CHUNK = 1 << 22


def files_sha256(paths: Iterable[str | Path]) -> str:
    """sha256 hex digest of the files' contents, concatenated in the order given."""
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                h.update(chunk)
    return h.hexdigest()


def file_sha256(path: str | Path) -> str:
    """sha256 hex digest of one file's contents."""
    return files_sha256([path])


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_dir(directory: Path) -> None:
    """Make a rename durable: fsync the directory entry (a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | Path, *, mode: int | None = None,
                before_rename: Callable[[], object] | None = None) -> Iterator[Path]:
    """A temp path beside `path` to write its new content to (by any writer that takes a path).

    When the block ends normally the temp file is fsynced, chmod'ed and renamed over `path`, then the
    folder is fsynced. Permissions: `mode` less the umask when given; else the replaced file's (a site
    may have made the output group-readable), or 0644 less the umask for a new file. When the block
    raises, the temp file is removed and `path` is untouched. `before_rename` runs just before the
    rename (a test hook).
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", dir=directory)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if mode is not None:
            os.chmod(tmp, mode & ~umask())
        elif path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644 & ~umask())
        if before_rename is not None:
            before_rename()
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(directory)


def atomic_write(path: str | Path, write: Callable[[TextIO], object],
                 before_rename: Callable[[], object] | None = None) -> None:
    """Replace `path` with the UTF-8 text `write(fh)` writes (newlines as written), atomically."""
    with atomic_path(path, before_rename=before_rename) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            write(fh)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write(path, lambda fh: fh.write(text))


def remove_stale_temps(path: str | Path) -> int:
    """Delete temp files a killed writer left beside `path`; call only while holding the run lock."""
    path = Path(path)
    removed = 0
    for stale in path.parent.glob(f"{TEMP_PREFIX}{path.name}.*"):
        try:
            stale.unlink()
            removed += 1
        except OSError:
            pass
    return removed
