"""``depotsafe report`` and ``depotsafe licence`` through the installed command (every option)."""

from __future__ import annotations

import calendar
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
from html import unescape
from importlib.resources import files
from pathlib import Path

import pytest

SAMPLES = files("depotsafe.data").joinpath("samples")
SAMPLE = Path(str(SAMPLES.joinpath("sample_depot.geojson")))
SAMPLE_STOCK = Path(str(SAMPLES.joinpath("sample_depot_stock.csv")))
DATE = "2026-11-28"


def _exe() -> str:
    here = Path(sys.executable).parent / "depotsafe"
    found = str(here) if here.exists() else shutil.which("depotsafe")
    assert found, "the depotsafe console script is not installed"
    return found


def run(*args: str, status: int = 0, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([_exe(), *args], capture_output=True, text=True, timeout=600,
                         env=(env or os.environ) | {"PYTHONUNBUFFERED": "1"}, check=False)
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == status, out.stderr
    return out


def _pages(pdf: Path) -> list[tuple[float, float]]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    return [(round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1)) for p in reader.pages]


def test_report_every_option_and_source_date_epoch(bare_layout: Path, tmp_path: Path) -> None:
    common = [str(bare_layout), "--stock", str(SAMPLE_STOCK), "--rule-set", "iatg", "--protection", "default",
              "--rounding", "formula", "--lang", "en", "--max-layout-mb", "50", "--paper", "A3",
              "--orientation", "landscape", "--criteria", "fr-2011", "--arcs", "US1"]
    a = tmp_path / "a"
    a.mkdir()
    out = run("report", *common, "--date", DATE, "--pdf", str(a / "r.pdf"), "--html", str(a / "r.html"),
              "--plan-svg", str(a / "plan.svg"))
    assert "8 violation(s)" in out.stdout
    pages = _pages(a / "r.pdf")
    assert pages[0] == (595.3, 841.9)  # A4 portrait text
    assert pages[-1] == (1190.6, 841.9)  # A3 landscape site plan
    svg = (a / "plan.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg")
    assert 'width="400.00mm"' in svg
    assert 'class="arc chosen"' in svg  # --arcs US1: its arcs, in the colour of chosen arcs
    assert "QD arc of a chosen storehouse" in svg
    assert svg in (a / "r.html").read_text(encoding="utf-8")
    # the risk contributors judged by the criteria asked (depotsafe risk --criteria fr-2011)
    html = unescape((a / "r.html").read_text(encoding="utf-8"))
    assert "Criteria: France, 2011 decree (by analogy)" in html
    assert "fr2011_" in html.split("The biggest risk contributors", 1)[1].split("2. Violations", 1)[0]
    # the same inputs, dated by SOURCE_DATE_EPOCH instead of --date: the same bytes
    b = tmp_path / "b"
    b.mkdir()
    epoch = calendar.timegm(dt.date.fromisoformat(DATE).timetuple()) + 3600
    run("report", *common, "--pdf", str(b / "r.pdf"), env=os.environ | {"SOURCE_DATE_EPOCH": str(epoch)})
    assert (b / "r.pdf").read_bytes() == (a / "r.pdf").read_bytes()


def test_licence_every_option(tmp_path: Path) -> None:
    run("licence", str(SAMPLE), "--site", "G1", "--lang", "fr", "--date", DATE, "--rule-set", "iatg",
        "--protection", "default", "--rounding", "formula", "--max-layout-mb", "50",
        "--pdf", str(tmp_path / "l.pdf"), "--html", str(tmp_path / "l.html"))
    html = unescape((tmp_path / "l.html").read_text(encoding="utf-8"))
    assert "Licence de limite d'explosifs ELL-G1" in html
    assert _pages(tmp_path / "l.pdf")[0] == (595.3, 841.9)


@pytest.mark.parametrize(("args", "field"), [
    (["report", "--lang", "de"], "--lang"),
    (["report", "--paper", "A5"], "--paper"),
    (["report", "--orientation", "sideways"], "--orientation"),
    (["report", "--date", "28/11/2026"], "--date"),
    (["report", "--criteria", "us-dod"], "--criteria"),
    (["report", "--arcs", "H1"], "--arcs"),
    (["licence", "--site", "A1", "--date", "2026-02-30"], "--date"),
])
def test_bad_option_exit_2_nothing_written(args: list[str], field: str, tmp_path: Path) -> None:
    pdf = tmp_path / "x.pdf"
    out = run(args[0], str(SAMPLE), *args[1:], "--pdf", str(pdf), status=2)
    assert out.stderr.startswith(f"depotsafe {args[0]}: error: {field}: got ")
    assert not pdf.exists()


def test_no_output_and_unknown_site_exit_2(tmp_path: Path) -> None:
    out = run("report", str(SAMPLE), status=2)
    assert "give at least one file to write" in out.stderr
    pdf = tmp_path / "x.pdf"
    out = run("licence", str(SAMPLE), "--site", "H1", "--pdf", str(pdf), status=2)
    assert "--site: got 'H1'; a storehouse or aggregation group of the layout (A1, A2" in out.stderr
    assert not pdf.exists()
    assert not list(tmp_path.iterdir())
