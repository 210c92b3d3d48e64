"""The local workspace of saved depots: the app's working depot kept on disk.

Each depot the user works on (the sample, an upload, a pasted or generated
layout, with its stock and every edit) is saved automatically as it changes,
so that a browser reload, a new tab or a restart of the app reopens it.  The
user names, opens and deletes saved depots from the sidebar.

Where the files live: ``$DEPOTSAFE_WORKSPACE`` when set (the tests point it at
a temporary folder), else the user's data folder:
``$XDG_DATA_HOME/depotsafe/workspace`` or ``~/.local/share/depotsafe/workspace``
on Linux, ``~/Library/Application Support/depotsafe/workspace`` on macOS,
``%LOCALAPPDATA%\\depotsafe\\workspace`` on Windows.  Layout::

    <workspace>/depots/<id>/meta.json    name, source file, times, number of sites
    <workspace>/depots/<id>/layout.json  the layout (GeoJSON FeatureCollection, no stock)
    <workspace>/depots/<id>/depot.json   the stock rows as edited and the last that read cleanly
    <workspace>/last.json                id of the depot last worked on

Every file is written atomically (a temporary file in the same folder, flushed
to disk, then renamed over the old one): a crash leaves the old file or the new
one, never half of one.  The layout is rewritten only when it changed (a stock
edit of a large depot writes the stock alone).  Ids are made here and checked on every read, so no name
the user types ever becomes part of a path.  This module imports no streamlit.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Environment variable naming the workspace folder.
WORKSPACE_ENV = "DEPOTSAFE_WORKSPACE"

#: Format tag and version of depot.json.
FORMAT = "depotsafe-workspace-depot"
FORMAT_VERSION = 1

#: Longest depot name kept [characters].
MAX_NAME_CHARS = 120

_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$")


def default_folder(environ: dict[str, str] | None = None, platform: str | None = None) -> Path:
    """The workspace folder: ``$DEPOTSAFE_WORKSPACE``, else the user's data folder."""
    env = os.environ if environ is None else environ
    explicit = env.get(WORKSPACE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    plat = sys.platform if platform is None else platform
    home = Path(env.get("HOME") or Path.home())
    if plat.startswith("win"):
        base = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif plat.startswith("darwin"):
        base = home / "Library" / "Application Support"
    else:
        xdg = env.get("XDG_DATA_HOME")
        base = Path(xdg) if xdg else home / ".local" / "share"
    return base / "depotsafe" / "workspace"


def clean_name(name: str) -> str:
    """A depot name as kept: one line, trimmed, at most MAX_NAME_CHARS characters."""
    text = " ".join(str(name).split())
    return text[:MAX_NAME_CHARS]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Saved:
    """One saved depot as listed (meta.json)."""

    id: str
    name: str
    source: str
    saved_utc: str
    sites: int


class Workspace:
    """The saved depots in one folder."""

    def __init__(self, folder: Path | str | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_folder()

    # ----------------------------------------------------------- paths
    def _dir(self, depot_id: str) -> Path:
        if not _ID.match(depot_id or ""):
            msg = f"not a workspace depot id: {depot_id!r}"
            raise ValueError(msg)
        return self.folder / "depots" / depot_id

    @staticmethod
    def new_id() -> str:
        """A fresh id: the time of creation and 8 random hex digits."""
        return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"

    # ----------------------------------------------------------- writing
    def save(self, depot_id: str, name: str, layout: Any, stock: list[dict[str, Any]],
             stock_good: list[dict[str, Any]] | None = None, source: str = "",
             layout_changed: bool = True) -> Saved:
        """Save (create or replace) one depot and make it the last worked on.

        ``stock`` is the stock as edited; ``stock_good`` the last stock that
        read cleanly with this layout (kept so that a reopened depot whose
        latest edit is refused still has a depot to show).  With
        ``layout_changed`` False the layout file already saved is kept.
        """
        folder = self._dir(depot_id)
        doc = {"format": FORMAT, "version": FORMAT_VERSION, "stock": stock,
               "stock_good": stock if stock_good is None else stock_good}
        sites = len(layout.get("features", [])) if isinstance(layout, dict) else 0
        meta = Saved(depot_id, clean_name(name), source, _now(), sites)
        if layout_changed or not (folder / "layout.json").is_file():
            write_atomic(folder / "layout.json", json.dumps(layout, ensure_ascii=False, default=str))
        write_atomic(folder / "depot.json", json.dumps(doc, ensure_ascii=False, default=str))
        write_atomic(folder / "meta.json", json.dumps(meta.__dict__, ensure_ascii=False))
        self.set_last(depot_id)
        return meta

    def rename(self, depot_id: str, name: str) -> Saved:
        """Give a saved depot a new name (its content is unchanged)."""
        meta = self.meta(depot_id)
        new = Saved(meta.id, clean_name(name) or meta.name, meta.source, _now(), meta.sites)
        write_atomic(self._dir(depot_id) / "meta.json", json.dumps(new.__dict__, ensure_ascii=False))
        return new

    def delete(self, depot_id: str) -> None:
        """Remove a saved depot (and forget it as the last one)."""
        shutil.rmtree(self._dir(depot_id), ignore_errors=True)
        if self.last() == depot_id:
            (self.folder / "last.json").unlink(missing_ok=True)

    def set_last(self, depot_id: str) -> None:
        """Remember the depot last worked on (reopened by a new session)."""
        self._dir(depot_id)
        write_atomic(self.folder / "last.json", json.dumps({"id": depot_id}))

    # ----------------------------------------------------------- reading
    def meta(self, depot_id: str) -> Saved:
        """The listing entry of one saved depot."""
        data = json.loads((self._dir(depot_id) / "meta.json").read_text(encoding="utf-8"))
        return Saved(depot_id, str(data.get("name") or depot_id), str(data.get("source") or ""),
                     str(data.get("saved_utc") or ""), int(data.get("sites") or 0))

    def load(self, depot_id: str) -> dict[str, Any]:
        """The saved layout and stock: keys ``layout``, ``stock``, ``stock_good``, ``meta``."""
        doc = json.loads((self._dir(depot_id) / "depot.json").read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            msg = f"{self._dir(depot_id) / 'depot.json'} is not a saved depotsafe depot"
            raise ValueError(msg)
        layout = json.loads((self._dir(depot_id) / "layout.json").read_text(encoding="utf-8"))
        return {"layout": layout, "stock": list(doc.get("stock") or []),
                "stock_good": list(doc.get("stock_good") or []), "meta": self.meta(depot_id)}

    def entries(self) -> list[Saved]:
        """Every saved depot that can be listed, the most recently saved first."""
        root = self.folder / "depots"
        if not root.is_dir():
            return []
        out = []
        for d in root.iterdir():
            if not _ID.match(d.name) or not (d / "depot.json").is_file():
                continue
            try:
                out.append(self.meta(d.name))
            except (OSError, ValueError):
                continue
        return sorted(out, key=lambda m: (m.saved_utc, m.id), reverse=True)

    def last(self) -> str | None:
        """Id of the depot last worked on, if it is still saved."""
        try:
            depot_id = str(json.loads((self.folder / "last.json").read_text(encoding="utf-8"))["id"])
            ok = (self._dir(depot_id) / "depot.json").is_file()
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return depot_id if ok else None


__all__ = ["FORMAT", "MAX_NAME_CHARS", "WORKSPACE_ENV", "Saved", "Workspace", "clean_name", "default_folder",
           "write_atomic"]
