"""The report and a licence in every UN language, through the installed `depotsafe` command (issue 14).

Each document, turned to text, carries the check's figures written in the
language's number style (required distances rounded up, measured distances
rounded down, as `depotsafe check --json` computes them), the glossary's terms
and the translated verdict; the Arabic documents are right to left
(``dir="rtl"``).  An unknown language is refused with exit status 2, naming
``--lang``.
"""

from __future__ import annotations

import csv
import html
import json
import re
import subprocess
import sys
from functools import cache
from importlib.resources import files
from pathlib import Path

import pytest

from depotsafe import textfmt
from depotsafe.documents.text import words

SAMPLE = Path(str(files("depotsafe.data").joinpath("samples", "sample_depot.geojson")))
GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "glossary"
#: The installed command, next to the interpreter running the tests.
CLI = [str(Path(sys.executable).with_name("depotsafe"))]
LANGS = ("es", "ru", "zh", "ar")


def run(*args: str, status: int = 0) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == status, out.stderr
    return out


@cache
def check() -> dict:
    return json.loads(run("check", str(SAMPLE), "--json", status=1).stdout)


def text_of(path: Path) -> str:
    body = path.read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", " ", body.split("<body", 1)[1]))


def term(lang: str, english: str) -> str:
    with (GLOSSARY / f"{lang}.csv").open(encoding="utf-8", newline="") as f:
        return next(r["translation"] for r in csv.DictReader(f) if r["term"] == english)


@pytest.mark.parametrize("lang", LANGS)
def test_report_in_each_language(lang: str, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    run("report", str(SAMPLE), "--lang", lang, "--html", str(out), "--date", "2026-01-01")
    raw = out.read_text(encoding="utf-8")
    assert f'lang="{lang}"' in raw
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in raw
    text = text_of(out)
    w = words(lang)
    assert w.gettext("NOT COMPLIANT") in text
    assert w.gettext("NOT COMPLIANT") != "NOT COMPLIANT"
    style = textfmt.style_of(lang)
    v1 = min(check()["violations"], key=lambda v: v["distance_m"] / v["required_distance_m"])
    assert textfmt.metres_up(v1["required_distance_m"], style) in text
    assert textfmt.metres_measured(v1["distance_m"], style) in text
    for english in ("explosives limit licence", "inter-magazine distance"):
        assert term(lang, english).casefold() in text.casefold(), english


@pytest.mark.parametrize("lang", LANGS)
def test_licence_in_each_language(lang: str, tmp_path: Path) -> None:
    out = tmp_path / "l.html"
    run("licence", str(SAMPLE), "--site", "A1", "--lang", lang, "--html", str(out), "--date", "2026-01-01")
    text = text_of(out)
    assert term(lang, "explosives limit licence").casefold() in text.casefold()
    assert term(lang, "exposed site").casefold() in text.casefold()
    site = next(s for s in check()["sites"] if s["id"] == "A1")
    style = textfmt.style_of(lang)
    assert textfmt.kg_stock(site["neq_kg"]["1.1"], style) in text  # the stock held
    assert textfmt.kg_down(site["licence_limit_kg"]["1.2.1"], style) in text  # a licensed limit, rounded down


def test_an_unknown_language_is_refused(tmp_path: Path) -> None:
    out = run("report", str(SAMPLE), "--lang", "de", "--html", str(tmp_path / "r.html"), status=2)
    assert not (tmp_path / "r.html").exists()
    assert "--lang" in out.stderr
    assert "ar" in out.stderr
