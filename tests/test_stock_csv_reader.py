"""The stock CSV reader (layout._read_stock_csv: csv.reader, a row of the same texts as an earlier
one read once) against the obvious reference (tests/reference/stock_csv_naive.py: csv.DictReader,
every row read and checked on its own): the same entries by site id, of the same types in the
same order, and the same problems word for word, on random files (hypothesis)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depotsafe import layout
from reference.stock_csv_naive import read_stock_text
from test_layout_fast_read import _same_value

SITES = {"A": "igloo_7bar", "B": "barricaded_stack", "W": "workshop", "H": "inhabited_building"}
_COLUMNS = ["site_id", "item", "hd", "cg", "quantity", "quantity_kg", "unit_neq_kg", "form", "other"]
_CELLS = {
    "site_id": ["A", " A ", "B", "W", "H", "Z", ""],
    "item": ["", "lot 1", "a,b", 'say "x"'],
    "hd": ["1.1", "1.3", " 1.2 ", "9.9", ""],
    "cg": ["D", "C", "A", "X", ""],
    "quantity": ["5 t", "800 kg", "5", "-1 t", "x", "1e3 kg", "1 000 kg", ""],
    "quantity_kg": ["100", "1e3", "-5", "x", "", " 7 ", "2.5"],
    "unit_neq_kg": ["", "2", "x", "0"],
    "form": ["", "bulk", "x"],
    "other": ["", "note"],
}


@st.composite
def _csv_texts(draw: Any) -> str:
    cols = draw(st.lists(st.sampled_from(_COLUMNS), min_size=1, max_size=9))
    if draw(st.booleans()):  # the usual header, maybe with more columns
        cols = ["site_id", "item", "hd", "cg", draw(st.sampled_from(["quantity", "quantity_kg"])), *cols[:2]]
    header = [f" {c}" if draw(st.integers(0, 5)) == 0 else c for c in cols]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for _ in range(draw(st.integers(0, 12))):
        shape = draw(st.sampled_from(["row", "row", "row", "repeat", "short", "long", "comment", "blank"]))
        if shape == "comment":
            buf.write("# a note\n")
        elif shape == "blank":
            buf.write("  \n")
        elif shape == "repeat" and buf.getvalue().count("\n") > 1:
            buf.write(buf.getvalue().splitlines()[-1] + "\n")
        else:
            row = [draw(st.sampled_from(_CELLS[c.strip()])) for c in cols]
            if shape == "short":
                row = row[: draw(st.integers(0, len(row)))]
            elif shape == "long":
                row += ["extra"]
            w.writerow(row)
    return buf.getvalue()


def _compare(tmp: Path, text: str) -> None:
    path = tmp / "stock.csv"
    path.write_text(text, encoding="utf-8")
    problems = layout._Problems("layout")
    got, raw = layout._read_stock_csv(path, SITES, problems)
    ref, ref_problems = read_stock_text(path.read_bytes(), "stock.csv", SITES)
    assert raw == path.read_bytes()
    assert problems.items == ref_problems
    assert list(got) == list(ref)
    for sid, entries in ref.items():
        assert _same_value(got[sid], entries), sid
    # each row its own entry (a repeated row is not the same dict)
    every = [id(e) for entries in got.values() for e in entries]
    assert len(every) == len(set(every))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_csv_texts())
def test_random_stock_files_read_as_the_reference_reads_them(tmp_path: Path, text: str) -> None:
    _compare(tmp_path, text)


def test_the_benchmark_style_file_reads_alike(tmp_path: Path) -> None:
    rows = ["site_id,item,hd,cg,quantity_kg"] + [f"A,lot0,1.1,D,{100 * (i % 7)}" for i in range(50)]
    rows += [f"B,lot{i % 2},1.1,D,{i}.5" for i in range(50)]
    _compare(tmp_path, "\n".join(rows) + "\n")


def test_an_unreadable_row_is_named_as_the_reference_names_it(tmp_path: Path) -> None:
    long = "x" * (csv.field_size_limit() + 10)
    text = f"site_id,item,hd,cg,quantity\nA,a,1.1,D,5 t\n# note\nB,{long},1.1,D,5 t\nW,a,1.1,D,5 t\n"
    _compare(tmp_path, text)
    _out, ref_problems = read_stock_text(text.encode(), "stock.csv", SITES)
    assert len(ref_problems) == 1
    assert "longer than" in ref_problems[0]
