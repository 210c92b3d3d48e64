"""Why an explosion is what it is, in the user's language (issue 14 leftovers).

An effects event's reason (the site alone, or its aggregation group), where the
event's NEQ comes from, and a risk event's reason per case of the mixed stock
are templates with values (depotsafe.messages.Note): the JSON keeps the English
text, the readable output of the installed ``depotsafe`` command says them with
the words of the language's catalog (read here from the catalogs, not from our
output), the ids and clauses as they are, and none of the English template's
words.  Rule labels have one translation, in the app's catalog, which the app
and the command line both read; the app shows it (AppTest, French).  One term,
one rendering: "inter-magazine distance", "inhabited building distance" and
"public traffic route distance" read the same in every catalog of a language.
"""

from __future__ import annotations

import json
import re
import string
from functools import cache
from pathlib import Path

import pytest
from babel.numbers import format_decimal

from cli_common import ROOT, SAMPLE, cli_po, per_year_reference, run_cli
from depotsafe import clitext, qd
from depotsafe.effects import answer
from depotsafe.effects.event import (
    EVENT_ALONE,
    EVENT_ALONE_ON_REQUEST,
    EVENT_GROUP,
    EVENT_REASONS,
)
from depotsafe.risk import (
    REASON_AND,
    REASON_HD12,
    REASON_HD13,
    REASON_HD14,
    REASON_HD16,
    REASON_TEMPLATES,
)
from depotsafe.ui import i18n

DOCS_LOCALE = Path(i18n.__file__).parents[1] / "documents" / "locale"
OTHERS = [code for code in i18n.LANGUAGES if code != "en"]
CLAUSE = "AASTP-1 §1.3.2.3 b)"


def _po(path: Path) -> dict[str, str]:
    return i18n.parse_po(path.read_text(encoding="utf-8"))


def _words(lang: str) -> dict[str, str]:
    """What the command line reads, in its order of preference: its own catalog over the app's."""
    return {**i18n.catalog(lang), **cli_po(lang)}


def _literals(template: str) -> list[str]:
    """The fixed text of a template around its placeholders, each part stripped (empty parts left out)."""
    return [t.strip() for t, _f, _s, _c in string.Formatter().parse(template) if t.strip()]


def _english_words(template: str) -> list[str]:
    """The English template's parts that say something (a word of four letters or more)."""
    return [t for t in _literals(template) if re.search(r"[A-Za-z]{4,}", t)]


def _line_with(text: str, part: str) -> str:
    lines = [ln for ln in text.splitlines() if part in ln]
    assert lines, (part, text)
    return lines[0]


def _says(template: str, lang: str, text: str) -> str:
    """The line of ``text`` that says ``template`` in ``lang``: every fixed part of the catalog's sentence
    in one line, and no part of the English sentence anywhere in ``text``."""
    local = _words(lang)[template]
    parts = _literals(local)
    assert parts
    line = _line_with(text, max(parts, key=len))
    for part in parts:
        assert part in line, (lang, part, line)
    for english in _english_words(template):
        assert english not in text, (lang, english)
    return line


def _grouped(kg: float, lang: str) -> str:
    """A whole number of kilograms as CLDR writes it in ``lang`` (Western digits)."""
    return format_decimal(round(kg), format="#,##0", locale=lang, numbering_system="latn")


# ------------------------------------------------------------------ depotsafe effects


@pytest.mark.parametrize("lang", OTHERS)
def test_effects_event_alone_reads_in_the_language(lang: str) -> None:
    """A1 is in no group: it explodes alone, said in the language, A1 and the clause as they are; where its
    NEQ comes from is the catalog's phrase."""
    english, local = run_cli("effects", SAMPLE, "--event", "A1"), run_cli("effects", SAMPLE, "--event", "A1", "--lang", lang)
    assert english.returncode == local.returncode == 0, local.stderr
    assert EVENT_ALONE.format(site="A1", clause=CLAUSE) in english.stdout  # the English text is unchanged
    line = _says(EVENT_ALONE, lang, local.stdout)
    assert "A1" in line
    assert CLAUSE in line
    assert answer.NEQ_FROM_STOCK in english.stdout
    assert cli_po(lang)[answer.NEQ_FROM_STOCK] in local.stdout
    assert answer.NEQ_FROM_STOCK not in local.stdout


@pytest.mark.parametrize("lang", OTHERS)
def test_effects_group_event_reads_in_the_language(lang: str) -> None:
    """BS1 and BS2 are one site (data/samples/README.md: 5 t each, 15 m apart): the group's reason, its
    10 t written the language's way, and the group's stock phrase."""
    argv = ("effects", SAMPLE, "--event", "BS1")
    english, local = run_cli(*argv), run_cli(*argv, "--lang", lang)
    assert english.returncode == local.returncode == 0, local.stderr
    assert "BS1 is one site with BS2: " in english.stdout
    assert "(10,000 kg)" in english.stdout
    line = _says(EVENT_GROUP, lang, local.stdout)
    assert "BS1" in line
    assert "BS2" in line
    assert CLAUSE in line
    assert re.search(re.escape(_grouped(10_000, lang)) + r"[\s\u00a0\u202f]kg", line), line
    assert cli_po(lang)[answer.NEQ_FROM_GROUP_STOCK] in local.stdout
    assert answer.NEQ_FROM_GROUP_STOCK not in local.stdout


@pytest.mark.parametrize("lang", OTHERS)
def test_effects_alone_on_request_reads_in_the_language(lang: str) -> None:
    argv = ("effects", SAMPLE, "--event", "BS1", "--alone")
    english, local = run_cli(*argv), run_cli(*argv, "--lang", lang)
    assert english.returncode == local.returncode == 0, local.stderr
    line = _says(EVENT_ALONE_ON_REQUEST, lang, local.stdout)
    assert "BS1" in line
    assert "BS2" in line
    note = _says(answer.ALONE_NOTE, lang, local.stdout)
    assert "BS2" in note


def test_json_keeps_the_english_reason() -> None:
    """The JSON contract: the event's reason and NEQ source are the English text, whatever --lang says."""
    plain = json.loads(run_cli("effects", SAMPLE, "--event", "BS1", "--json").stdout)
    french = json.loads(run_cli("effects", SAMPLE, "--event", "BS1", "--json", "--lang", "fr").stdout)
    assert plain["event"]["reason"] == french["event"]["reason"]
    assert plain["event"]["reason"].startswith("BS1 is one site with BS2: not separated by their inter-magazine "
                                               "distance, they count as a single site")
    assert plain["event"]["neq_source"] == answer.NEQ_FROM_GROUP_STOCK


# ------------------------------------------------------------------ depotsafe scenario


@pytest.mark.parametrize("lang", OTHERS)
def test_scenario_group_line_reads_in_the_language(lang: str) -> None:
    argv = ("scenario", SAMPLE, "--start", "BS1")
    english, local = run_cli(*argv), run_cli(*argv, "--lang", lang)
    assert english.returncode == local.returncode == 0, local.stderr
    assert "BS1 is one site with BS2: " in english.stdout
    line = _says(EVENT_GROUP, lang, local.stdout)
    assert "BS2" in line


# ------------------------------------------------------------------ risk events' reasons


@cache
def _risk_reasons() -> dict[str, str]:
    """The reason of the risk event at each of the sample's storehouses, as the engine writes it
    (depotsafe.risk.event_outcome over the site's stock lines, as build_events does)."""
    from depotsafe.explosives import parse_stock_entry
    from depotsafe.layout import read_layout
    from depotsafe.risk import event_outcome

    out = {}
    for site in read_layout(SAMPLE).sites:
        if site.stock_entries:
            lines = [parse_stock_entry({k: v for k, v in e.items() if k != "source"}, f"{site.id}[{n}]")
                     for n, e in enumerate(site.stock_entries)]
            out[site.id] = event_outcome(lines, [site.kind])["reason"]
    return out


@pytest.mark.parametrize("lang", OTHERS)
def test_risk_event_reasons_in_the_language(lang: str) -> None:
    """A3 (HD 1.2), A4 (HD 1.3), B3 (HD 1.6) and B4 (HD 1.4 only) of the sample: each reason said in the
    language by the command line's words (depotsafe.clitext), the AASTP-1 rule as quoted, no English
    sentence left."""
    reasons = _risk_reasons()
    words = _words(lang)
    w = clitext.cli_words(lang)
    for site, template in (("A3", REASON_HD12), ("A4", REASON_HD13), ("B3", REASON_HD16), ("B4", REASON_HD14)):
        reason = reasons[site]
        assert getattr(reason, "template", reason) == template, (site, reason)
        text = w.note(reason)
        for part in _literals(words[template]):
            assert part in text, (site, part, text)
        for english in _english_words(template):
            assert english not in text, (site, english, text)
        rule = getattr(reason, "values", {}).get("rule")
        if rule is not None:
            assert rule in text  # the AASTP-1 rule as quoted
            assert rule in reason  # and in the English text


#: The readable summary's head of the events and their reasons (a msgid of cli.po).
EVENTS_HEAD = "Explosion events and why (a storehouse, or its aggregation group, explodes as one):"
#: The sample's storehouses whose stock gives each case of a risk event (data/samples/README.md).
CASES = (("A3", REASON_HD12), ("A4", REASON_HD13), ("B3", REASON_HD16), ("B4", REASON_HD14))


def _event_lines(text: str, head: str) -> dict[str, str]:
    """The lines under ``head`` (each "  PES  reason"), by the event's PES."""
    lines = text.splitlines()
    assert head in lines, (head, text)
    out = {}
    for line in lines[lines.index(head) + 1:]:
        if not line.startswith("  "):
            break
        out[line.split()[0]] = line
    return out


@pytest.mark.parametrize("lang", ["en", *OTHERS])
def test_risk_summary_says_why_each_event_happens(lang: str) -> None:
    """``depotsafe risk`` without --json lists every event of the assessment with its reason: English as the
    engine writes it (the JSON's text), another language in the catalog's words, the AASTP-1 rule as quoted."""
    doc = json.loads(run_cli("risk", SAMPLE, "--json").stdout)
    out = run_cli("risk", SAMPLE, *(("--lang", lang) if lang != "en" else ()))
    assert out.returncode in (0, 1), out.stderr
    head = EVENTS_HEAD if lang == "en" else _words(lang)[EVENTS_HEAD]
    events = _event_lines(out.stdout, head)
    assert set(events) == {e["pes"] for e in doc["events"]}  # every event, none other
    reasons = _risk_reasons()
    for site, template in CASES:
        line = events[site]
        reason = reasons[site]
        assert str(reason) == next(e["reason"] for e in doc["events"] if e["pes"] == site)  # the JSON's text
        if lang == "en":
            assert str(reason) in line
            continue
        assert EVENTS_HEAD not in out.stdout
        for part in _literals(_words(lang)[template]):
            assert part in line, (site, part, line)
        for english in _english_words(template):
            assert english not in line, (site, english, line)
        rule = getattr(reason, "values", {}).get("rule")
        if rule is not None:
            assert rule in line


def test_risk_reasons_join_in_english_as_before() -> None:
    """Several cases of one stock: the English reason is the cases' sentences joined by "; " (the JSON's
    text), and in another language each part is said in it."""
    from depotsafe.explosives import parse_stock_entry
    from depotsafe.risk import event_outcome

    lines = [parse_stock_entry({"hd": "1.2", "cg": "E", "neq": "2 t", "unit_neq": "5 kg"}, "a"),
             parse_stock_entry({"hd": "1.3", "cg": "C", "neq": "3 t"}, "b")]
    reason = event_outcome(lines, ["igloo_7bar"])["reason"]
    assert reason.template == REASON_AND
    first, then = reason.values["first"], reason.values["then"]
    assert (first.template, then.template) == (REASON_HD12, REASON_HD13)
    assert reason == f"{first}; {then}"
    assert str(first).startswith("HD 1.2.1: fragments only, anchored at AASTP-1 Table 2 (")
    french = clitext.cli_words("fr").note(reason)
    fr = i18n.catalog("fr")
    assert _literals(fr[REASON_HD12])[0] in french
    assert _literals(fr[REASON_HD13])[0] in french
    assert "fragments only" not in french
    assert "mass fire" not in french


# ------------------------------------------------------------------ catalogs: one place for each message


def test_the_templates_are_app_messages_the_command_line_reads() -> None:
    templates = set(i18n.engine_templates())
    assert set(qd.LABELS) | set(EVENT_REASONS) | set(REASON_TEMPLATES) <= templates
    assert templates <= set(clitext.cli_messages())
    effects_texts = {answer.NEQ_FROM_STOCK, answer.NEQ_FROM_GROUP_STOCK, answer.NO_BLAST_NOTE, answer.ALONE_NOTE}
    assert effects_texts <= set(clitext.EFFECTS_NOTES)


@pytest.mark.parametrize("lang", OTHERS)
def test_rule_labels_have_one_translation(lang: str) -> None:
    """A rule label is translated once, in the app's catalog; the command line's catalog does not copy it."""
    app, cli = i18n.catalog(lang), cli_po(lang)
    for label in (*qd.LABELS, "No QD"):
        assert app.get(label), (lang, label)
        assert label not in cli, (lang, label)
    assert clitext.cli_words(lang).tr(qd.LABEL_BLAST_ONLY) == app[qd.LABEL_BLAST_ONLY]


# ------------------------------------------------------------------ one term, one rendering

#: How each language says the three distances in every catalog (app, command line, documents).  French
#: "distance(s) inter-magasins": the app's wording (the French IATG text could not be found to check it).
TERMS: dict[str, dict[str, str]] = {
    "fr": {"inter-magazine distance": "inter-magasins", "inhabited building distance": "distance des bâtiments habités",
           "public traffic route distance": "voies de circulation publiques"},
    "es": {"inter-magazine distance": "entre polvorines", "inhabited building distance": "a edificios habitados",
           "public traffic route distance": "a vías de tránsito público"},
    "ru": {"inter-magazine distance": "между хранилищами", "inhabited building distance": "до жилых зданий",
           "public traffic route distance": "до дорог общего пользования"},
    "zh": {"inter-magazine distance": "库间距离", "inhabited building distance": "有人居住的建筑距离",
           "public traffic route distance": "公共交通道路距离"},
    "ar": {"inter-magazine distance": "بين المخازن", "inhabited building distance": "مسافة المباني المأهولة",
           "public traffic route distance": "طرق المرور العامة"},
}


@pytest.mark.parametrize("lang", OTHERS)
def test_each_distance_term_has_one_rendering(lang: str) -> None:
    catalogs = {"cli": cli_po(lang), "app": i18n.catalog(lang), "documents": _po(DOCS_LOCALE / f"{lang}.po")}
    used = set()
    misses = []
    for term, word in TERMS[lang].items():
        pattern = re.compile(rf"\b{re.escape(term)}s?\b", re.IGNORECASE)
        for name, cat in catalogs.items():
            for msgid, msgstr in cat.items():
                if pattern.search(msgid):
                    used.add(term)
                    if word.casefold() not in msgstr.casefold():
                        misses.append((name, term, msgstr))
    assert not misses, misses
    assert used == set(TERMS[lang])  # each term is used somewhere: the check is not empty


def test_the_term_check_catches_the_old_french_split() -> None:
    """The consistency check is not vacuous: the command line's former French wording is caught."""
    word = TERMS["fr"]["inter-magazine distance"]
    assert word not in "plus proches que leur distance entre magasins"
    assert word in "plus proches que leur distance inter-magasins"


#: The abbreviations of the trade and the glossary term each stands for.  Every language keeps the English
#: abbreviation (docs/translating.md, "Abbreviations and terms"): a sentence either keeps it or writes the
#: glossary's term out, never a second abbreviation of its own (the French "DR", "GC", "MNE", "SEP" of before).
ABBREVIATIONS = {
    "HD": "hazard division", "NEQ": "net explosive quantity", "CG": "compatibility group",
    "PES": "potential explosion site", "ES": "exposed site", "QD": "quantity-distance",
    "ELL": "explosives limit licence", "IBD": "inhabited building", "PTRD": "public traffic route",
    "IMD": "inter-magazine distance",
}
#: Capitals a translation may hold that its msgid does not: the UN, NATO, GIS and the United States in the
#: language's own letters, ALARP as the UK HSE writes it, and the Russian ВВ ("взрывчатые вещества",
#: explosives: in the glossary's term for the explosives limit licence).
OTHER_CAPITALS = {"ALARP", "ONU", "OTAN", "SIG", "EE", "UU", "ООН", "НАТО", "ГИС", "ВВ"}
#: Names in capitals that do not make a msgid a shouted one ("NOT tolerable", "STEP {n}", "OK" ...).
_NAMES = {*ABBREVIATIONS, "AASTP", "IATG", "ALARP", "JSON", "CSV", "DXF", "GEOJSON", "PDF", "HSE", "SRAG", "TNT",
          "UNODA", "NATO", "BEVI", "R2P2", "UN", "IR"}
_CAPITALS = re.compile(r"\b[A-ZÀ-ÖØ-ÞА-ЯЁ]{2,}\b")


def abbreviation_misses(msgid: str, msgstr: str, rows: dict[str, dict[str, str]]) -> list[str]:
    """What in ``msgstr`` breaks "one abbreviation per term": an abbreviation of ``msgid`` neither kept nor
    written out as the glossary's term, or capitals of its own that are no abbreviation of ``msgid``
    (a shouted message, "STEP"/"ÉTAPE", may shout in its language)."""
    from test_i18n_glossary import uses

    out = []
    for abbr, term in ABBREVIATIONS.items():
        if re.search(rf"\b{abbr}\b", msgid) and not re.search(rf"\b{abbr}\b", msgstr) and not uses(msgstr, rows[term]):
            out.append(f"{abbr} neither kept nor written out")
    shouted = any(w not in _NAMES for w in _CAPITALS.findall(msgid))
    if not shouted:
        own = set(_CAPITALS.findall(msgstr)) - set(_CAPITALS.findall(msgid)) - OTHER_CAPITALS
        out.extend(f"capitals of its own: {w}" for w in sorted(own))
    return out


@pytest.mark.parametrize("lang", OTHERS)
def test_one_abbreviation_per_term(lang: str) -> None:
    """Every catalog of a language (app, command line, documents) keeps the abbreviations of the trade as
    the English text has them, or writes the glossary's term out: HD 1.1 is "HD 1.1" on a page, in a
    terminal and on a licence."""
    from test_i18n_glossary import catalogs, glossary

    rows = {r["term"]: r for r in glossary(lang)}
    misses, seen = [], set()
    for name, cat in catalogs(lang).items():
        for msgid, msgstr in cat.items():
            seen.update(a for a in ABBREVIATIONS if re.search(rf"\b{a}\b", msgid))
            misses.extend((name, msgid, msgstr, why) for why in abbreviation_misses(msgid, msgstr, rows))
    assert not misses, "\n".join(map(repr, misses))
    assert {"HD", "NEQ", "CG", "PES", "ES", "QD", "ELL", "IBD", "PTRD"} <= seen  # the check is not empty


#: A table or an annex of AASTP-1 cited in a message: "Table 4", "Table T.2", "Table 1 d", "Annex I-A".
CITATION = re.compile(r"\b(?:Table [0-9T][\w.]*|Annex I-[A-Z])")


@pytest.mark.parametrize("lang", OTHERS)
def test_citations_stay_as_the_standard_words_them(lang: str) -> None:
    """A table or annex of AASTP-1 is cited as AASTP-1 prints it in every catalog of every language, as the
    rule labels cite it ("Table 1 D13"): "AASTP-1 Table 4", not "tableau 4" in one sentence and "Table 4"
    in the next."""
    from test_i18n_glossary import catalogs

    misses, seen = [], 0
    for name, cat in catalogs(lang).items():
        for msgid, msgstr in cat.items():
            for cited in CITATION.findall(msgid):
                seen += 1
                if cited not in msgstr:
                    misses.append((name, cited, msgstr))
    assert not misses, "\n".join(map(repr, misses))
    assert seen >= 10  # the check is not empty
    assert not CITATION.search("AASTP-1 (2006) tableau 4")
    assert CITATION.search("AASTP-1 (2006) Table 4")


def test_the_abbreviation_check_catches_the_old_french_split() -> None:
    """Not vacuous: the app's former "DR" and "GC", the documents' former "MNE" and "SEP" are caught."""
    from test_i18n_glossary import glossary

    rows = {r["term"]: r for r in glossary("fr")}
    assert abbreviation_misses("HD", "DR", rows)
    assert abbreviation_misses("CG", "GC", rows)
    assert abbreviation_misses("NEQ held", "MNE détenue", rows)
    assert abbreviation_misses("PES", "SEP", rows)
    assert abbreviation_misses("fragment zone (HD {hd})", "zone d’éclats (DR {hd})", rows)
    assert not abbreviation_misses("fragment zone (HD {hd})", "zone d’éclats (HD {hd})", rows)
    assert not abbreviation_misses("No QD", "Pas de distance de sécurité", rows)  # the term written out

# ------------------------------------------------------------------ the app


def test_french_calculator_shows_the_rule_label_in_french() -> None:
    """HD 1.4: the calculator's rule label ("Table 1.4: fixed 25 m") reads in French, the catalog's words
    around the table code, which stays as AASTP-1 prints it."""
    from streamlit.testing.v1 import AppTest

    from depotsafe import api

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.sidebar.selectbox(key="k_lang").set_value("fr").run()
    at.sidebar.radio(key="k_page").set_value("calculator").run()
    at.selectbox(key="k_calc_hd").set_value("1.4").run()
    at.selectbox(key="k_calc_pes").set_value("unbarricaded_stack").run()
    assert not at.exception, [e.message for e in at.exception]
    neq = f"{at.number_input(key='k_calc_neq').value} {at.selectbox(key='k_calc_neq_unit').value}"
    label = api.required_distance("1.4", neq, "unbarricaded_stack", at.selectbox(key="k_calc_es").value
                                  ).as_dict()["rule_label"]
    assert getattr(label, "template", None) == qd.LABEL_FIXED, label  # a label with words to translate
    french = i18n.catalog("fr")[qd.LABEL_FIXED]
    captions = [c.value for c in at.caption]
    shown = [c for c in captions if all(p in c for p in _literals(french))]
    assert shown, captions
    assert not [c for c in captions if str(label) in c], captions  # the English label is not shown
    kept = " ".join(_literals(french))
    for english in _english_words(qd.LABEL_FIXED):
        if english not in kept:  # "Table" is cited as AASTP-1 prints it
            assert english not in shown[0], (english, shown[0])
    assert f"Table {label.values['table']}" in shown[0]


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_risk_page_says_why_each_event_happens(lang: str) -> None:
    """The Risk page's table of explosion events: each event's reason in the catalog's words (the same entry
    the command line reads), the AASTP-1 rule as quoted, no English sentence; its rates as the command line
    writes them in the language (one readable form)."""
    from streamlit.testing.v1 import AppTest

    from test_i18n_app import _html_tables

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.sidebar.selectbox(key="k_lang").set_value(lang).run()
    at.sidebar.radio(key="k_page").set_value("risk").run()
    at.button(key="run_risk").click().run()
    assert not at.exception, [e.message for e in at.exception]
    app = i18n.catalog(lang)
    assert app["Explosion events"] in [h.value for h in at.subheader]
    tables = [t.value for t in at.table] + _html_tables(at)
    why, pes = app["outcome and why"], app["PES"]
    (events,) = [t for t in tables if why in t.columns]
    rows = dict(zip(events[pes], events[why], strict=True))
    reasons = _risk_reasons()
    for site, template in CASES:
        shown = rows[site]
        for part in _literals(app[template]):
            assert part in shown, (site, part, shown)
        for english in _english_words(template):
            assert english not in shown, (site, english, shown)
        rule = getattr(reasons[site], "values", {}).get("rule")
        if rule is not None:
            assert rule in shown
    # the rates: as the command line writes them in this language
    doc = json.loads(run_cli("risk", SAMPLE, "--json").stdout)
    cells = " ".join(str(c) for t in tables for col in t.columns for c in t[col])
    held = at.session_state["risk"]["result"]
    for s in held["sites"]:
        if s["individual_risk_per_year"] > 0:
            assert per_year_reference(s["individual_risk_per_year"], lang) in cells, s["id"]
    text = run_cli("risk", SAMPLE, "--lang", lang).stdout
    h1 = next(s for s in doc["sites"] if s["id"] == "H1")["individual_risk_per_year"]
    assert per_year_reference(h1, lang) in text
    assert per_year_reference(h1, lang) in cells
