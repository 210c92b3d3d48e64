"""``depotsafe licence``: the explosives limit licence of one storehouse, as PDF (and HTML)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from depotsafe.commands._documents import add_check_options, run_check, write_all
from depotsafe.errors import InputError


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "licence",
        help="the explosives limit licence of one storehouse (or aggregation group) as PDF",
        description=(
            "Check a depot layout and write the explosives limit licence of one storehouse: licensed NEQ per "
            "hazard division with its limiting exposed site, rule and source, the stock against it, conditions, "
            "provenance and blanks for the issuing authority. Exit status 0 written, 2 bad input."
        ),
    )
    add_check_options(p)
    p.add_argument("--site", required=True, metavar="ID", help="storehouse id (or aggregation group id, e.g. G1)")
    p.add_argument("--pdf", metavar="FILE", help="write the licence as PDF")
    p.add_argument("--html", metavar="FILE", help="write the licence as HTML (the same template)")
    return p


def run(args: argparse.Namespace) -> int:
    from depotsafe import documents
    from depotsafe.documents.text import words
    from depotsafe.outputs import check_output_paths

    outs = [("--pdf", args.pdf), ("--html", args.html)]
    if all(path is None for _o, path in outs):
        raise InputError("--pdf/--html", None, "give at least one file to write")
    check_output_paths(outs)
    words(args.lang)
    date = documents.document_date(args.date)
    result = run_check(args)
    rendered = documents.licence(result, args.site, lang=args.lang, date=date, layout_name=Path(args.layout).name)
    files: list[tuple[str, str, bytes]] = []
    if args.pdf is not None:
        files.append(("--pdf", args.pdf, rendered.pdf()))
    if args.html is not None:
        files.append(("--html", args.html, rendered.html.encode("utf-8")))
    write_all(files)
    sys.stdout.write(f"licence of {args.site} written\n")
    return 0
