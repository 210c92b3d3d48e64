"""The glossaries of the terms of the trade (docs/glossary/<lang>.csv) and their use in the catalogs.

Each glossary row gives an English term, its translation, the source of the
translation and a status: "official" (an official UN language version was
found, and the source names it) or "review" (no official version was found:
the translator's choice, to be reviewed; never presented as official).
Wherever a msgid of the app's or the documents' catalog uses the English term,
its translation must use the glossary's word (or one of the listed forms:
plural, grammatical case, a stem).
"""

from __future__ import annotations

import csv
import re
from importlib.resources import files
from pathlib import Path

import pytest

from depotsafe.ui import i18n

GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "glossary"
#: Languages whose catalogs are checked against a glossary (English is the source; French predates them).
GLOSSARY_LANGUAGES = ("es", "ru", "zh", "ar")
#: Terms every glossary must hold (issue 14).
REQUIRED_TERMS = {
    "hazard division", "compatibility group", "quantity-distance", "inter-magazine distance",
    "explosives limit licence", "potential explosion site", "exposed site", "earth-covered", "barricade",
    "net explosive quantity",
}


def glossary(lang: str) -> list[dict[str, str]]:
    with (GLOSSARY / f"{lang}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def messages(lang: str) -> dict[str, str]:
    """msgid -> msgstr of the app's catalog and the documents' catalog of ``lang``."""
    doc = files("depotsafe.documents").joinpath("locale", f"{lang}.po").read_text(encoding="utf-8")
    return {**i18n.parse_po(doc), **i18n.catalog(lang)}


@pytest.mark.parametrize("lang", GLOSSARY_LANGUAGES)
def test_glossary_rows_are_complete_and_honest(lang: str) -> None:
    rows = glossary(lang)
    assert {r["term"] for r in rows} >= REQUIRED_TERMS
    for r in rows:
        assert r["translation"].strip(), r
        assert r["source"].strip(), r
        assert r["status"] in ("official", "review"), r
        if r["status"] == "official":
            # an official entry names the document it was found in, never the translator
            assert "translator" not in r["source"], r
            assert re.search(r"IATG|UN |UNTERM", r["source"]), r


@pytest.mark.parametrize("lang", GLOSSARY_LANGUAGES)
def test_catalogs_use_the_glossary(lang: str) -> None:
    msgs = messages(lang)
    misses = []
    used = set()
    for r in glossary(lang):
        pattern = re.compile(rf"\b{re.escape(r['term'])}s?\b", re.IGNORECASE)
        words = [r["translation"], *[f for f in r["forms"].split("|") if f]]
        for msgid, msgstr in msgs.items():
            if pattern.search(msgid):
                used.add(r["term"])
                if not any(w.casefold() in msgstr.casefold() for w in words):
                    misses.append((r["term"], msgid, msgstr))
    assert not misses, "\n".join(map(repr, misses))
    assert REQUIRED_TERMS - {"barricade"} <= used  # the check is not empty (barricade: documents only)


def test_glossary_check_catches_a_wrong_term() -> None:
    """The consistency check is not vacuous: a msgstr without the glossary's word is caught."""
    row = next(r for r in glossary("es") if r["term"] == "compatibility group")
    msgstr = "Grupo de mezcla (opcional)"
    words = [row["translation"], *[f for f in row["forms"].split("|") if f]]
    assert not any(w.casefold() in msgstr.casefold() for w in words)
    assert any(w.casefold() in messages("es")["Compatibility group (optional)"].casefold() for w in words)
