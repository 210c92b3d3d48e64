"""What ``depotsafe report`` and ``depotsafe licence`` share: the check's options and all-or-nothing writing."""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from depotsafe.cli import add_max_layout_option
from depotsafe.commands.qd import add_rounding_option
from depotsafe.errors import InputError


def add_check_options(p: argparse.ArgumentParser) -> None:
    """The layout and the options of ``depotsafe check`` that change its figures."""
    p.add_argument("layout", help="depot layout (GeoJSON)")
    p.add_argument("--stock", help="stock CSV (site_id,item,hd,cg,quantity,unit_neq_kg[,form])")
    p.add_argument("--rule-set", default="iatg", help="rule set name or folder (default iatg)")
    p.add_argument("--protection", default="default", metavar="DEGREE",
                   help="degree of protection asked of every storage-to-storage pair, as for `depotsafe check`")
    add_rounding_option(p)
    p.add_argument("--lang", default="en", help="language of the document: en (default), fr, es, ru, zh or ar")
    p.add_argument("--date", metavar="YYYY-MM-DD",
                   help="the document's date (default: SOURCE_DATE_EPOCH if set, else today in UTC)")
    add_max_layout_option(p)


def run_check(args: argparse.Namespace) -> Any:
    from depotsafe.check import check_depot
    from depotsafe.layout import read_layout

    depot = read_layout(args.layout, stock_csv=args.stock, max_mb=args.max_layout_mb, layers=args.layer or ())
    return check_depot(depot, args.rule_set, protection=args.protection, rounding=args.rounding)


def write_all(outputs: Sequence[tuple[str, str, bytes]]) -> None:
    """Write every (option, path, bytes) file, all or nothing (as depotsafe.outputs does for text)."""
    from depotsafe.outputs import _umask

    mode = 0o666 & ~_umask()
    temps: list[tuple[str, str, str]] = []
    try:
        for option, path, data in outputs:
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{Path(path).name}.", dir=Path(path).parent)
            except OSError as exc:
                raise InputError(option, path, f"cannot be written ({exc.strerror})") from None
            temps.append((option, path, tmp))
            try:
                os.fchmod(fd, mode)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            except OSError as exc:
                raise InputError(option, path, f"cannot be written ({exc.strerror})") from None
        for option, path, tmp in temps:
            try:
                os.replace(tmp, path)
            except OSError as exc:  # pragma: no cover - the folder was checked before the work
                raise InputError(option, path, f"cannot be written ({exc.strerror})") from None
    finally:
        for _o, _p, tmp in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
