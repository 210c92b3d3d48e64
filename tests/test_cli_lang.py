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
from decimal import Decimal
from pathlib import Path

import pytest
from babel.numbers import format_decimal

from cli_common import LOCALE as PO
from cli_common import SAMPLE, cli_po, per_year_reference, run_cli
from depotsafe import clitext
from depotsafe.ui.i18n import LANGUAGES

COMMANDS = {
    "check": ["check", SAMPLE],
    "effects": ["effects", SAMPLE, "--event", "A1"],
    "risk": ["risk", SAMPLE],
    "scenario": ["scenario", SAMPLE, "--start", "A1"],
}


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
    for msgid, msgstr in cli_po(lang).items():
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
    plain = run_cli(*COMMANDS[command], "--json")
    french = run_cli(*COMMANDS[command], "--json", "--lang", "fr")
    assert plain.returncode in (0, 1), plain.stderr
    assert french.returncode == plain.returncode, french.stderr
    assert json.loads(french.stdout) == json.loads(plain.stdout)
    assert french.stdout == plain.stdout


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_unknown_language_is_refused(command: str) -> None:
    out = run_cli(*COMMANDS[command], "--lang", "de")
    assert out.returncode == 2, out.stderr
    assert out.stdout == ""
    assert "--lang" in out.stderr
    assert "'de'" in out.stderr
    assert "en, fr, es, ru, zh, ar" in out.stderr


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_check_reads_in_french_and_arabic(lang: str) -> None:
    english, local = run_cli(*COMMANDS["check"]), run_cli(*COMMANDS["check"], "--lang", lang)
    assert local.returncode == english.returncode == 1, local.stderr  # the sample has violations
    words = cli_po(lang)
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
    english, local = run_cli(*COMMANDS["effects"]), run_cli(*COMMANDS["effects"], "--lang", lang)
    assert local.returncode == english.returncode == 0, local.stderr
    words = cli_po(lang)
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
    english, local = run_cli(*COMMANDS["risk"]), run_cli(*COMMANDS["risk"], "--lang", lang)
    assert local.returncode == english.returncode, local.stderr
    words = cli_po(lang)
    assert local.stdout.splitlines()[-1].startswith(_head(words["Verdict: {verdict}"]))
    assert _head(words["Expected fatalities: {n} per year"]) in local.stdout


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_risk_rates_read_as_the_app_writes_them(lang: str) -> None:
    """One readable form of a rate per language, in the terminal as on the app's Risk page and in the reports:
    "9.55 × 10⁻⁶" ("9,55 × 10⁻⁶" in French), never "9.55e-06"."""
    doc = json.loads(run_cli(*COMMANDS["risk"], "--json").stdout)
    text = run_cli(*COMMANDS["risk"], *(("--lang", lang) if lang != "en" else ())).stdout
    rates = [s[key] for s in doc["sites"] for key in ("individual_risk_per_year", "location_risk_per_year")
             if s[key] > 0]
    rates += [v["after_move"]["individual_risk_per_year"] for v in doc["violations"]
              if v["after_move"]["individual_risk_per_year"] > 0]
    assert len(rates) > 10
    for rate in rates:
        assert per_year_reference(rate, lang) in text, (lang, rate)
    assert per_year_reference(doc["expected_fatalities_per_year"], lang) in text
    assert not re.search(r"\d[.,]\d+e[-+]\d", text), text  # no e-notation left


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_scenario_reads_in_french_and_arabic(lang: str) -> None:
    english, local = run_cli(*COMMANDS["scenario"]), run_cli(*COMMANDS["scenario"], "--lang", lang)
    assert local.returncode == english.returncode == 0, local.stderr
    words = cli_po(lang)
    assert _head(words["STEP {n}: {event} at {who}, {neq} NEQ (HD {divisions})"]) in local.stdout
    assert words["at each site:"] in local.stdout
    assert "STEP 1" not in local.stdout
    stocks = re.findall(r"(\d[\d,]*(?:\.\d+)?) kg NEQ", english.stdout)
    assert stocks
    for number in stocks:
        assert re.search(re.escape(_localised(number, lang)) + r"[\s\u00a0\u202f]kg", local.stdout), number


# ------------------------------------------------------------------ no English left (issues 12 and 14)


def _candidates() -> list[str]:
    """English phrases the readable output may carry, each a msgid: kinds in words, the engine's notes and
    phrases (check, scenario, table mode), degrees of protection and their notes."""
    from depotsafe.ui.i18n import engine_templates

    return [*clitext.KIND_NAMES.values(), *engine_templates(), *clitext.DEGREE_WORDS.values(),
            *clitext.EFFECTS_NOTES]


def _english_left(english: str, local: str, lang: str) -> list[str]:
    """What of the English run ``local`` still shows in English: the kinds' layout values, the note lines'
    sentences, and each candidate phrase found in the English run (its text before any placeholder),
    wherever ``lang`` words it differently."""
    from depotsafe.ui.i18n import catalog

    words = {**catalog(lang), **cli_po(lang)}
    left = []
    for kind in set(re.findall(r"\(([a-z0-9_]+)\)", english)) & set(clitext.KIND_NAMES):
        if f"({kind})" in local:
            left.append(f"({kind})")
    for line in english.splitlines():
        if line.startswith("note: "):
            sentence = line[len("note: "):]
            if sentence in local:
                left.append(sentence)
    for phrase in _candidates():
        head = _head(phrase)
        if len(head) < 12 or head not in english:
            continue  # not shown by this run (or too short to tell apart)
        if _head(words[phrase]) != head and head in local:
            left.append(head)
    return left


@pytest.fixture(scope="module")
def sensitive_layout(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sample with BS3's contents declared very sensitive: pairs toward it need an assessment."""
    doc = json.loads(Path(SAMPLE).read_text(encoding="utf-8"))
    for f in doc["features"]:
        if f["properties"].get("id") == "BS3":
            f["properties"]["very_sensitive"] = True
    path = tmp_path_factory.mktemp("lang") / "sensitive.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("command", ["check", "effects", "scenario"])
def test_no_english_kind_or_note_is_left(command: str, lang: str) -> None:
    english, local = run_cli(*COMMANDS[command]), run_cli(*COMMANDS[command], "--lang", lang)
    assert local.returncode == english.returncode, local.stderr
    assert "note: " in english.stdout  # the English run has notes to compare
    assert re.search(r"\((igloo_7bar|inhabited_building)\)", english.stdout)
    assert _english_left(english.stdout, local.stdout, lang) == []
    if command == "scenario":
        from depotsafe.scenario import EVENT_TEXT, RULE_TEXT

        shown = [p for p in (*EVENT_TEXT.values(), *RULE_TEXT.values()) if p in english.stdout]
        assert len(shown) >= 2  # the event and at least one outcome of escalation
        assert not [p for p in shown if p in local.stdout]


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_assessment_lines_in_the_language(lang: str, sensitive_layout: str) -> None:
    """A very sensitive storehouse's pairs (ASSESSMENT REQUIRED) read in the language; English is the
    source text (tests/test_cli_text.py)."""
    argv = ("check", sensitive_layout)
    english, local = run_cli(*argv), run_cli(*argv, "--lang", lang)
    assert english.returncode == local.returncode == 1, local.stderr
    assert "ASSESSMENT REQUIRED: " in english.stdout
    from depotsafe.documents.text import _document_catalog

    words = {**_document_catalog(lang), **cli_po(lang)}  # the documents say this sentence too
    assessment = words["ASSESSMENT REQUIRED: {es}{pes} at {distance} holds {why}: the inter-magazine distance "
                       "(tabulated {required}, HD {hd}, {rule}, for information only) must not be used; an "
                       "individual assessment decides, a violation until then [{source}]"]
    assert _head(assessment) in local.stdout
    assert "ASSESSMENT REQUIRED" not in local.stdout
    assert "holds very sensitive contents" not in local.stdout
    assert _english_left(english.stdout, local.stdout, lang) == []
    assert len(local.stdout.splitlines()) == len(english.stdout.splitlines())


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_protection_line_in_the_language(lang: str) -> None:
    """The one-line degree of protection of a storage-to-storage pair (the engine's protection object) in
    the language: the degree, its notes and the degree asked in words, the cells as cited."""
    from depotsafe import api, textfmt
    from depotsafe.protection import NOTE_TEXT
    from depotsafe.ui.i18n import catalog

    p = api.required_distance("1.1", "10 t", "igloo_7bar", "igloo_7bar", pes_face="side", es_face="side",
                              protection="high").as_dict()["protection"]
    assert p is not None
    unavailable = {**p, "available": False, "notes": ["lobbed_ammunition"]}
    words = {**catalog(lang), **cli_po(lang)}
    w = clitext.cli_words(lang)
    for obj in (p, unavailable, None):
        english, local = textfmt.describe_text(obj), w.protection(obj)
        assert clitext.cli_words("en").protection(obj) == english
        assert not local.startswith("protection: ")
        assert "protection asked" not in local
        assert "PROTECTION UNAVAILABLE" not in local
        if obj is not None:
            assert _head(words["protection: {degree}"]) + " " + words[clitext.DEGREE_WORDS[obj["degree"]]] in local
            assert obj["cells"][0]["cell"] in local  # cited as it is
    local = w.protection(unavailable)
    assert words[NOTE_TEXT["lobbed_ammunition"]] in local
    assert "lobbed" not in local


def test_every_new_message_is_in_all_six_catalogs() -> None:
    """The engine's templates and the command line's messages: each msgid in the English catalog (the
    source text) and translated, not empty, in the five others, with the same placeholders and formats."""
    import string

    from depotsafe.ui.i18n import catalog, catalog_text, engine_templates, po_quote

    fields = string.Formatter()

    def placeholders(text: str) -> list[tuple[str, str]]:
        return sorted((f, spec or "") for _, f, spec, _ in fields.parse(text) if f)

    english = catalog_text("en")
    for template in engine_templates():
        assert f"msgid {po_quote(template)}" in english, template
    messages = clitext.cli_messages()
    assert set(engine_templates()) <= set(messages)
    for lang in LANGUAGES:
        if lang == "en":
            continue
        from depotsafe.documents.text import _document_catalog

        words = {**_document_catalog(lang), **catalog(lang), **cli_po(lang)}
        for m in messages:
            assert words.get(m), (lang, m)
            assert placeholders(words[m]) == placeholders(m), (lang, m, words[m])


def test_cli_kind_names_are_the_apps() -> None:
    """The command line names kinds with the app's msgids (depotsafe.ui.common.KIND_NAMES)."""
    from depotsafe.kinds import kinds
    from depotsafe.ui.common import KIND_NAMES

    assert clitext.KIND_NAMES == KIND_NAMES
    assert set(KIND_NAMES) == set(kinds())
