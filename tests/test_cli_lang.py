"""``--lang`` of check, effects, risk and scenario: the readable output in each UN language (issue 14).

Every run goes through the installed ``depotsafe`` command.  A French and an
Arabic run show the catalog's words (tests read the expected words from the
catalogs, not from our output) and the figures of the English run written as
CLDR writes them in that language (Babel, called here directly: "10 000" with
a narrow no-break space in French, Western digits in Arabic).  ``--json`` is
the same bytes with and without ``--lang``.  A language we do not ship is
refused with exit status 2, naming ``--lang``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from babel.numbers import format_decimal

from depotsafe import clitext
from depotsafe.ui.i18n import LANGUAGES, parse_po

SAMPLE = str(Path(__file__).resolve().parents[1] / "data" / "samples" / "sample_depot.geojson")
PO = Path(clitext.__file__).parent / "ui" / "locale"
COMMANDS = {
    "check": ["check", SAMPLE],
    "effects": ["effects", SAMPLE, "--event", "A1"],
    "risk": ["risk", SAMPLE],
    "scenario": ["scenario", SAMPLE, "--start", "A1"],
}


@cache
def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("depotsafe")
    cmd = [str(exe)] if exe.exists() else [shutil.which("depotsafe") or "depotsafe"]
    return subprocess.run([*cmd, *argv], capture_output=True, text=True, timeout=900, check=False)


def _cli_po(lang: str) -> dict[str, str]:
    return parse_po((PO / lang / "LC_MESSAGES" / "cli.po").read_text(encoding="utf-8"))


def _head(message: str) -> str:
    """The text of a message before its first placeholder (what a line starts with)."""
    return message.split("{", 1)[0].strip()


def _localised(english_figure: str, lang: str) -> str:
    """An English figure ("1,234.5") as CLDR writes it in ``lang`` (Western digits), same decimals."""
    plain = english_figure.replace(",", "")
    decimals = len(plain.split(".")[1]) if "." in plain else 0
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(Decimal(plain), format=fmt, locale=lang, numbering_system="latn")


# ------------------------------------------------------------------ catalogs


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_every_command_line_message_is_translated(lang: str) -> None:
    assert clitext.missing(lang) == [], f"add these to ui/locale/{lang}/LC_MESSAGES/cli.po"


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_placeholders_survive_translation(lang: str) -> None:
    braces = re.compile(r"\{[a-z_]*\}")
    for msgid, msgstr in _cli_po(lang).items():
        assert sorted(braces.findall(msgid)) == sorted(braces.findall(msgstr)), (lang, msgid, msgstr)


def test_command_line_languages_are_the_apps() -> None:
    assert set(clitext.CLI_LANGUAGES) == set(LANGUAGES)


def test_cli_catalogs_are_valid_gettext(tmp_path: Path) -> None:
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (gettext) is not installed")
    for lang in LANGUAGES:
        if lang == "en":
            continue
        out = subprocess.run([msgfmt, "--check-format", "-o", str(tmp_path / f"{lang}.mo"),
                              str(PO / lang / "LC_MESSAGES" / "cli.po")], capture_output=True, text=True, check=False)
        assert out.returncode == 0, out.stderr


# ------------------------------------------------------------------ the installed command


@pytest.mark.parametrize("command", list(COMMANDS))
def test_json_is_the_same_in_every_language(command: str) -> None:
    plain = _run(*COMMANDS[command], "--json")
    french = _run(*COMMANDS[command], "--json", "--lang", "fr")
    assert plain.returncode in (0, 1), plain.stderr
    assert french.returncode == plain.returncode, french.stderr
    assert json.loads(french.stdout) == json.loads(plain.stdout)
    assert french.stdout == plain.stdout


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_unknown_language_is_refused(command: str) -> None:
    out = _run(*COMMANDS[command], "--lang", "de")
    assert out.returncode == 2, out.stderr
    assert out.stdout == ""
    assert "--lang" in out.stderr
    assert "'de'" in out.stderr
    assert "en, fr, es, ru, zh, ar" in out.stderr


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_check_reads_in_french_and_arabic(lang: str) -> None:
    english, local = _run(*COMMANDS["check"]), _run(*COMMANDS["check"], "--lang", lang)
    assert local.returncode == english.returncode == 1, local.stderr  # the sample has violations
    words = _cli_po(lang)
    text = local.stdout
    storehouses = ("Storehouses: stock per QD case with the limit at this mix and the headroom (limit minus stock); "
                   "licence per HD held alone, with its limiting exposed site; each violation with its rule and "
                   "source. Required distances rounded up to the metre, limits down to the kilogram.")
    assert words[storehouses] in text
    assert storehouses not in text
    assert _head(words["violation: {es}{pes} at {distance}, required {required} (HD {hd}, {rule}; {source})"]) in text
    assert "violation:" not in text
    # the same number of lines, and every figure of the English run in the language's notation
    assert len(text.splitlines()) == len(english.stdout.splitlines())
    figures = re.findall(r"(\d[\d,]*(?:\.\d+)?) (m|kg)\b", english.stdout)
    assert len(figures) > 50
    for number, unit in figures:
        shown = _localised(number, lang)
        assert re.search(re.escape(shown) + r"[\s\u00a0\u202f]" + unit, text), (number, shown, unit)
    if lang == "fr":
        assert "\u202f" in text  # French groups thousands with a narrow no-break space (CLDR)
    if lang == "ar":
        assert not re.search("[\u0660-\u0669\u06f0-\u06f9]", text)  # one digit system: Western
        assert re.search("[\u0600-\u06ff]", text)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_effects_reads_in_french_and_arabic(lang: str) -> None:
    english, local = _run(*COMMANDS["effects"]), _run(*COMMANDS["effects"], "--lang", lang)
    assert local.returncode == english.returncode == 0, local.stderr
    words = _cli_po(lang)
    heading = ("per exposed site: distance from the event footprint, persons, incident blast, AASTP-1 protection "
               "zone, fragment/thermal zones it lies in, probit probabilities for a person there")
    assert words[heading] in local.stdout
    assert heading not in local.stdout
    assert _head(words["incident overpressure {kpa}"]) in local.stdout
    pressures = re.findall(r"(\d[\d,]*(?:\.\d+)?) kPa\b", english.stdout)
    assert len(pressures) > 5
    for number in pressures:
        assert re.search(re.escape(_localised(number, lang)) + r"[\s\u00a0\u202f]kPa", local.stdout), number
    if lang == "fr":
        assert re.search(r"\d,\d+[\u00a0\u202f]kPa", local.stdout)  # the decimal comma


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_risk_reads_in_french_and_arabic(lang: str) -> None:
    english, local = _run(*COMMANDS["risk"]), _run(*COMMANDS["risk"], "--lang", lang)
    assert local.returncode == english.returncode, local.stderr
    words = _cli_po(lang)
    assert local.stdout.splitlines()[-1].startswith(_head(words["Verdict: {verdict}"]))
    assert _head(words["Expected fatalities: {n} per year"]) in local.stdout
    rates = re.findall(r"\d\.\d\de-\d\d", english.stdout)
    assert rates
    decimal = {"fr": ",", "ar": "."}[lang]
    for rate in rates:
        assert rate.replace(".", decimal) in local.stdout, rate


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_scenario_reads_in_french_and_arabic(lang: str) -> None:
    english, local = _run(*COMMANDS["scenario"]), _run(*COMMANDS["scenario"], "--lang", lang)
    assert local.returncode == english.returncode == 0, local.stderr
    words = _cli_po(lang)
    assert _head(words["STEP {n}: {event} at {who}, {neq} NEQ (HD {divisions})"]) in local.stdout
    assert words["at each site:"] in local.stdout
    assert "STEP 1" not in local.stdout
    stocks = re.findall(r"(\d[\d,]*(?:\.\d+)?) kg NEQ", english.stdout)
    assert stocks
    for number in stocks:
        assert re.search(re.escape(_localised(number, lang)) + r"[\s\u00a0\u202f]kg", local.stdout), number
