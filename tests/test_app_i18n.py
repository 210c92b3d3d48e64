"""Translation layer: catalogs parse, every language is complete, the English catalog is the source.

A language that misses an entry fails here: every app message (the literals of
the app's sources and the data names) in every shipped language, the same
msgids in every catalog, every placeholder kept, the documents' words in every
language, and the six UN languages shipped.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from depotsafe.ui import i18n

LOCALE = Path(i18n.__file__).parent / "locale"


TRANSLATED = sorted(set(i18n.LANGUAGES) - {"en"})


def test_the_six_un_languages_are_shipped() -> None:
    assert set(i18n.LANGUAGES) == {"ar", "zh", "en", "fr", "ru", "es"}
    assert i18n.direction("ar") == "rtl"
    assert {lang for lang in i18n.LANGUAGES if i18n.direction(lang) == "rtl"} == {"ar"}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_app_message_has_a_translation(lang: str) -> None:
    cat = i18n.catalog(lang)
    missing = [m for m in i18n.all_messages() if m not in cat]
    assert not missing, f"add these to {lang}/LC_MESSAGES/depotsafe.po: {missing}"


def test_english_catalog_lists_every_message() -> None:
    text = i18n.catalog_text("en")
    for m in i18n.all_messages():
        assert f"msgid {i18n.po_quote(m)}" in text, m
    assert i18n.catalog("en") == {}  # English msgstr are empty: the msgid is shown


@pytest.mark.parametrize("lang", TRANSLATED)
def test_placeholders_survive_translation(lang: str) -> None:
    """Every {placeholder} (with its format), markdown emphasis and code span is kept, app and documents."""
    import string

    fields = string.Formatter()
    for msgid, msgstr in {**_documents_catalog(lang), **i18n.catalog(lang)}.items():
        a = sorted((f, spec) for _, f, spec, _ in fields.parse(msgid) if f)
        b = sorted((f, spec) for _, f, spec, _ in fields.parse(msgstr) if f)
        assert a == b, (msgid, msgstr)
        assert msgid.count("**") == msgstr.count("**"), (msgid, msgstr)
        assert msgid.count("`") == msgstr.count("`"), (msgid, msgstr)


def _documents_catalog(lang: str) -> dict[str, str]:
    from importlib.resources import files

    return i18n.parse_po(files("depotsafe.documents").joinpath("locale", f"{lang}.po").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_documents_catalog_is_complete(lang: str) -> None:
    """Every word of the documents (French lists them: fr.po) is in every language's documents catalog."""
    from depotsafe.documents import DOCUMENT_LANGUAGES

    assert tuple(i18n.LANGUAGES) == DOCUMENT_LANGUAGES
    reference = set(_documents_catalog("fr"))
    assert len(reference) > 100
    missing = sorted(reference - set(_documents_catalog(lang)))
    assert not missing, f"add these to documents/locale/{lang}.po: {missing}"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext msgfmt not installed")
@pytest.mark.parametrize("lang", TRANSLATED)
def test_documents_catalogs_are_valid_gettext(lang: str, tmp_path: Path) -> None:
    po = Path(i18n.__file__).parents[1] / "documents" / "locale" / f"{lang}.po"
    subprocess.run(["msgfmt", "--check-format", "-o", str(tmp_path / "x.mo"), str(po)], check=True)


def test_unknown_language_falls_back_to_english() -> None:
    assert i18n.translator("xx").gettext("Violations") == "Violations"
    assert i18n.translator("fr").gettext("Violations") == "Infractions"
    assert i18n.translator("fr").gettext("not a message") == "not a message"
    assert i18n.translator("es").gettext("Violations") == "Infracciones"
    assert i18n.translator("ar").gettext("Violations") == "المخالفات"


def test_po_parser_multiline_and_escapes() -> None:
    text = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n# c\nmsgid "a \\"b\\""\nmsgstr ""\n"x"\n"y\\n"\n'
    assert i18n.parse_po(text) == {'a "b"': "xy\n"}
    with pytest.raises(ValueError, match="PO syntax error on line 2"):
        i18n.parse_po('msgid "a"\nbogus\n')


def test_lookup_reads_what_the_parser_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The starting page's quick reader (i18n.lookup) gives every message of every catalog as the full parser
    does, and a msgstr on several lines, with escapes, too; a message not in the catalog is left out."""
    for lang in i18n.LANGUAGES:
        cat = i18n.catalog(lang)
        assert i18n.lookup(lang, tuple(cat)) == cat, lang
        assert set(i18n.STARTING_PAGE) <= set(cat) or lang == "en"
    text = ('msgid ""\nmsgstr "Language: fr\\n"\n\nmsgid "a \\"b\\""\nmsgstr ""\n"x"\n"y\\n"\n\n'
            'msgid "c"\nmsgstr "d"\n')
    monkeypatch.setattr(i18n, "catalog_text", lambda lang: text)
    assert i18n.lookup("fr", ('a "b"', "c", "missing")) == i18n.parse_po(text) == {'a "b"': "xy\n", "c": "d"}


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext msgfmt not installed")
@pytest.mark.parametrize("lang", sorted(i18n.LANGUAGES))
def test_catalogs_are_valid_gettext(lang: str, tmp_path: Path) -> None:
    po = LOCALE / lang / "LC_MESSAGES" / "depotsafe.po"
    subprocess.run(["msgfmt", "--check-format", "-o", str(tmp_path / "x.mo"), str(po)], check=True)


def test_catalogs_hold_the_same_messages() -> None:
    """Every msgid of one catalog is in the other: a language never lacks a message the other has."""
    import re

    ids = {}
    for lang in i18n.LANGUAGES:
        text = i18n.catalog_text(lang)
        ids[lang] = {i18n.parse_po(f"msgid {m}\nmsgstr \"x\"\n").popitem()[0]
                     for m in re.findall(r"^msgid (\".*\")$", text, flags=re.MULTILINE) if m != '""'}
    for lang in TRANSLATED:
        assert ids[lang] == ids["en"], (lang, sorted(ids[lang] ^ ids["en"])[:10])
    assert len(ids["en"]) >= len(i18n.all_messages())


def test_data_names_shown_by_the_app_are_messages() -> None:
    """Zone names, injury descriptions and hazard bases from the data files each have a msgid."""
    from depotsafe.effects.tables import probits, protection_levels

    names = i18n.data_messages()
    assert {lv.name for lv in protection_levels()} <= set(names)
    assert {p.effect for p in probits().values()} <= set(names)
    fr = i18n.catalog("fr")
    assert fr["Complete demolition"] == "Démolition complète"
    assert fr["eardrum rupture (Eisenberg)"] == "rupture du tympan (Eisenberg)"


def test_n_marked_names_are_collected() -> None:
    """Names marked with N_() where they are defined (kinds, faces) are collected like _() literals."""
    from depotsafe.ui.common import FACE_NAMES, KIND_NAMES, KIND_SHORT

    msgs = set(i18n.source_messages())
    assert set(KIND_NAMES.values()) | set(KIND_SHORT.values()) | set(FACE_NAMES.values()) <= msgs


def test_engine_phrases_are_the_engines() -> None:
    """Each engine phrase translated at display time is written so in the engine (no stale msgid)."""
    import depotsafe

    root = Path(depotsafe.__file__).parent
    engine = "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*.py") if "ui" not in p.parts)
    for phrase in i18n.ENGINE_PHRASES:
        assert f'"{phrase}"' in engine, phrase


def test_a_note_is_the_engines_english_text() -> None:
    """A Note prints, compares and serialises as the English text it was written as (the JSON contract)."""
    import json
    import pickle

    from depotsafe.effects.blast import TNT_RANGE_NOTE
    from depotsafe.messages import Note

    note = Note(TNT_RANGE_NOTE, p_kpa=3.14159, lo_kpa=35.0, hi_kpa=350.0, explosive="Comp B")
    english = ("incident overpressure 3.142 kPa is outside the 35-350 kPa range in which the Comp B TNT "
               "equivalence was determined (IATG 01.80 Clause 7.2)")
    assert note == english
    assert json.dumps({"notes": [note]}) == json.dumps({"notes": [english]})
    again = pickle.loads(pickle.dumps(note))
    assert again == english
    assert (again.template, again.values) == (note.template, note.values)


def test_engine_templates_are_messages_of_every_catalog() -> None:
    for template in i18n.engine_templates():
        assert template in i18n.all_messages(), template


def test_blast_range_note_in_french_with_french_figures() -> None:
    """The blast calculator's note on the TNT-equivalence range (English before) reads in French, its
    overpressure written with the French decimal comma, on the French Calculator page."""
    from streamlit.testing.v1 import AppTest

    from depotsafe.effects import blast_parameters
    from depotsafe.effects.blast import TNT_RANGE_NOTE

    app = Path(__file__).resolve().parents[1] / "app.py"
    at = AppTest.from_file(str(app), default_timeout=180).run()
    at.sidebar.selectbox(key="k_lang").set_value("fr").run()
    at.sidebar.radio(key="k_page").set_value("calculator").run()
    at.number_input(key="k_blast_neq").set_value(10.0).run()
    at.selectbox(key="k_blast_neq_unit").set_value("kg").run()
    at.number_input(key="k_blast_dist").set_value(50.0).run()
    at.selectbox(key="k_blast_explosive").set_value("Comp B").run()
    assert not at.exception, [e.message for e in at.exception]

    p_kpa = blast_parameters(10.0, 50.0, "Comp B").values["incident_overpressure"] / 1e3
    assert p_kpa < 35.0  # below Comp B's 35-350 kPa range: the engine notes it
    english = f"{p_kpa:.4g}"
    assert "." in english
    assert "e" not in english
    french = english.replace(".", ",")  # CLDR fr: decimal comma; under 1 000, no group separator
    expected = ("la surpression incidente de " + french + " kPa est hors de la plage 35-350 kPa dans laquelle "
                "l’équivalence TNT de Comp B a été déterminée (IATG 01.80 article 7.2)")
    assert i18n.catalog("fr")[TNT_RANGE_NOTE].startswith("la surpression incidente de {p_kpa:.4g} kPa")
    captions = [c.value for c in at.caption]
    assert expected in captions, captions
    assert not any("incident overpressure" in c for c in captions)
