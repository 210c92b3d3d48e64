"""A slow, obvious reference for the stock CSV: csv.DictReader, every row read and checked on its own.

What ``depotsafe.layout._read_stock_csv`` did before it read rows with csv.reader and read a row of
the same texts as an earlier one once: the same entries by site id and the same problems, in order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from depotsafe.errors import InputError
from depotsafe.explosives import parse_stock_entry
from depotsafe.kinds import kinds
from depotsafe.units import is_bare_number, parse_number, to_si


def _csv_problem(exc: csv.Error) -> str:
    if "field larger" in str(exc):
        return f"a field is longer than {csv.field_size_limit():,} characters (the CSV reader's limit)"
    return f"not a readable CSV file ({exc})"


def read_stock_text(raw: bytes, name: str, sites_by_id: Mapping[str, str]) -> tuple[dict[str, list[dict[str, Any]]],
                                                                                  list[str]]:
    """The entries by site id, and the problems (``where: message``), of a stock CSV's bytes."""
    problems: list[str] = []

    def add(where: str, message: str) -> None:
        problems.append(f"{where}: {message}")

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        add(f"stock file {name}", "not UTF-8 text")
        return {}, problems
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        add(f"stock file {name}", "empty; expected a header line site_id,item,hd,cg,quantity,unit_neq_kg[,form]")
        return {}, problems
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        add(f"stock file {name}", _csv_problem(exc))
        return {}, problems
    reader.fieldnames = header
    qcol = "quantity" if "quantity" in header else "quantity_kg" if "quantity_kg" in header else None
    missing = [c for c in ("site_id", "hd", "cg") if c not in header]
    if qcol is None:
        missing.append("quantity (or quantity_kg)")
    if missing:
        add(f"stock file {name}", f"header {header!r} lacks {', '.join(missing)}; expected "
            "site_id,item,hd,cg,quantity,unit_neq_kg[,form]")
        return {}, problems
    try:
        rows = list(reader)
    except csv.Error as exc:
        add(f"stock file {name} row {reader.line_num}", _csv_problem(exc))
        return {}, problems
    out: dict[str, list[dict[str, Any]]] = {}
    for rowno, row in enumerate(rows, start=2):
        where = f"stock file {name} row {rowno}"
        sid = (row.get("site_id") or "").strip()
        if sid not in sites_by_id:
            add(where, f"site_id {sid!r} is not a site of the layout")
            continue
        kind = sites_by_id[sid]
        if kinds()[kind].holds_explosives == "no":
            add(where, f"site {sid!r} is a {kind}, which holds no explosives")
            continue
        entry: dict[str, Any] = {"hd": (row.get("hd") or "").strip(), "cg": (row.get("cg") or "").strip()}
        item = (row.get("item") or "").strip()
        if item:
            entry["item"] = item
        q = (row.get(qcol) or "").strip()
        if qcol == "quantity":
            try:
                to_si(q, "mass", "quantity")
            except InputError as exc:
                if is_bare_number(q):
                    add(where, f"quantity: got {q!r}, a mass without a unit; write e.g. '{q} kg' or '{q} t', "
                        "or name the column quantity_kg")
                else:
                    add(where, str(exc))
                continue
            entry["neq"] = q
        else:
            try:
                entry["neq_kg"] = parse_number(q, "quantity_kg", "a number of kilograms")
            except InputError as exc:
                add(where, str(exc))
                continue
        u = (row.get("unit_neq_kg") or "").strip()
        if u:
            try:
                entry["unit_neq_kg"] = parse_number(u, "unit_neq_kg", "a number of kilograms")
            except InputError as exc:
                add(where, str(exc))
                continue
        form = (row.get("form") or "").strip()
        if form:
            entry["form"] = form
        try:
            parse_stock_entry(entry, "stock")
        except InputError as exc:
            key = exc.field.removeprefix("stock.")
            column = {"neq": qcol, "neq_kg": qcol, "unit_neq": "unit_neq_kg"}.get(key, key)
            add(where, f"{column}: got {exc.value!r}; {exc.allowed}")
            continue
        out.setdefault(sid, []).append(entry)
    return out, problems
