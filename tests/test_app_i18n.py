"""Translation layer: catalogs parse, French is complete, the English catalog is the source."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from depotsafe.ui import i18n

LOCALE = Path(i18n.__file__).parent / "locale"


def test_every_app_message_has_a_french_translation() -> None:
    fr = i18n.catalog("fr")
    missing = [m for m in i18n.all_messages() if m not in fr]
    assert not missing, f"add these to fr/LC_MESSAGES/depotsafe.po: {missing}"


def test_english_catalog_lists_every_message() -> None:
    text = i18n.catalog_text("en")
    for m in i18n.all_messages():
        assert f"msgid {i18n.po_quote(m)}" in text, m
    assert i18n.catalog("en") == {}  # English msgstr are empty: the msgid is shown


def test_placeholders_survive_translation() -> None:
    import string

    fr = i18n.catalog("fr")
    fields = string.Formatter()
    for msgid, msgstr in fr.items():
        a = sorted(f for _, f, _, _ in fields.parse(msgid) if f)
        b = sorted(f for _, f, _, _ in fields.parse(msgstr) if f)
        assert a == b, (msgid, msgstr)


def test_unknown_language_falls_back_to_english() -> None:
    assert i18n.translator("xx").gettext("Violations") == "Violations"
    assert i18n.translator("fr").gettext("Violations") == "Infractions"
    assert i18n.translator("fr").gettext("not a message") == "not a message"


def test_po_parser_multiline_and_escapes() -> None:
    text = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n# c\nmsgid "a \\"b\\""\nmsgstr ""\n"x"\n"y\\n"\n'
    assert i18n.parse_po(text) == {'a "b"': "xy\n"}
    with pytest.raises(ValueError, match="PO syntax error on line 2"):
        i18n.parse_po('msgid "a"\nbogus\n')


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
    assert ids["en"] == ids["fr"]
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
