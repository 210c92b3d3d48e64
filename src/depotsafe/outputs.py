"""The files a command writes: checked before the work, written all or nothing.

Every command that writes files calls :func:`check_output_paths` first (a
missing folder, a folder given as a file, an empty name, a place that cannot
be written, or one file for two outputs is refused before anything is
computed) and :func:`write_outputs` at the end.  ``write_outputs`` writes every
file to a temporary file in its target folder, then renames them all into
place; when anything fails, the temporary files are removed and the files
renamed so far are put back, so existing files are left as they were.  Files
get the permissions a newly created file gets (0o666 less the umask).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from depotsafe.errors import InputError

#: (option, path, writer): the writer writes the file's text to the open file;
#: or (option, path, bytes) for a binary file built beforehand (a GeoPackage).
Output = tuple[str, str, Callable[[IO[str]], None] | bytes]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _problem(path: str) -> str | None:
    """Why ``path`` cannot be written, or None."""
    if path == "":
        return "an empty file name; give the name of the file to write"
    p = Path(path)
    if p.is_dir():
        return "is a folder; give a file name (the file is created in that folder)"
    parent = p.parent
    if not parent.exists():
        return f"the folder '{parent}' does not exist; create it first"
    if not parent.is_dir():
        return f"'{parent}' is not a folder"
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=parent)
    except OSError as exc:
        return f"cannot write in the folder '{parent}' ({exc.strerror})"
    os.close(fd)
    os.unlink(tmp)
    if p.exists() and not os.access(p, os.W_OK):
        return "the file exists and is read-only"
    return None


def check_output_paths(paths: Sequence[tuple[str, str | None]]) -> None:
    """Refuse output paths that cannot be written (options not given are None).

    Raises InputError naming the option, the path and what is wrong.
    """
    seen: dict[str, str] = {}
    for option, path in paths:
        if path is None:
            continue
        why = _problem(path)
        if why is not None:
            raise InputError(option, path, why)
        key = os.path.realpath(path)
        if key in seen:
            raise InputError(option, path, f"the same file as {seen[key]}; give each output its own file")
        seen[key] = option


def _cleanup(paths: Sequence[str]) -> None:
    for tmp in paths:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def write_outputs(outputs: Sequence[Output]) -> None:
    """Write every output, all or nothing (see the module docstring).

    Raises InputError naming the option and path when a file cannot be
    written; nothing is then changed.
    """
    mode = 0o666 & ~_umask()
    temps: list[str] = []
    try:
        for option, path, write in outputs:
            p = Path(path)
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
            except OSError as exc:
                raise InputError(option, path, f"cannot be written ({exc.strerror})") from None
            temps.append(tmp)
            try:
                os.fchmod(fd, mode)
                if isinstance(write, bytes):
                    with os.fdopen(fd, "wb") as fb:
                        fb.write(write)
                else:
                    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                        write(f)
            except OSError as exc:
                raise InputError(option, path, f"cannot be written ({exc.strerror})") from None
    except BaseException:
        _cleanup(temps)
        raise
    _rename_all(outputs, temps)


def _rename_all(outputs: Sequence[Output], temps: list[str]) -> None:
    """Rename the temporary files into place; on failure put back what was there."""
    backups: list[tuple[str, str | None]] = []  # (target, backup of the old file or None)
    done = 0
    try:
        for (option, path, _write), tmp in zip(outputs, temps, strict=True):
            backup = None
            if os.path.exists(path):
                backup = f"{tmp}.old"
                try:
                    os.link(path, backup)
                except OSError:
                    backup = None
            backups.append((path, backup))
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise InputError(option, path, f"cannot be written ({exc.strerror})") from None
            done += 1
    except BaseException:
        for path, backup in backups[:done]:
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, path)
                else:
                    os.unlink(path)
        _cleanup(temps[done:])
        _cleanup([b for _p, b in backups if b is not None])
        raise
    _cleanup([b for _p, b in backups if b is not None])
