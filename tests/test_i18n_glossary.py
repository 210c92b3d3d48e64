"""The glossaries of the terms of the trade (docs/glossary/<lang>.csv) and their use in the catalogs.

Each glossary row gives an English term, its translation, the source of the
translation and a status: "official" (an official UN language version was
found, and the source names it) or "review" (no official version was found:
the translator's choice, to be reviewed; never presented as official).
Wherever a msgid of the app's, the command line's or the documents' catalog uses
the English term, its translation in that catalog must use the glossary's word
(or one of the listed forms: plural, grammatical case, a stem): one term per
language everywhere, on a page, in a terminal and on paper (each catalog is
checked on its own, so that a word the documents take from the app's catalog
does not hide the documents' own).  Apostrophes compare alike (' and ’).
"""

from __future__ import annotations

import csv
import re
from importlib.resources import files
from pathlib import Path

import pytest

from depotsafe.ui import i18n

GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "glossary"
#: Languages whose catalogs are checked against a glossary (English is the source).
GLOSSARY_LANGUAGES = ("fr", "es", "ru", "zh", "ar")
#: Terms every glossary must hold (issue 14).
REQUIRED_TERMS = {
    "hazard division", "compatibility group", "quantity-distance", "inter-magazine distance",
    "explosives limit licence", "potential explosion site", "exposed site", "earth-covered", "barricade",
    "net explosive quantity",
}


def glossary(lang: str) -> list[dict[str, str]]:
    with (GLOSSARY / f"{lang}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def catalogs(lang: str) -> dict[str, dict[str, str]]:
    """msgid -> msgstr of each catalog of ``lang``: the app's, the command line's and the documents'."""
    doc = files("depotsafe.documents").joinpath("locale", f"{lang}.po").read_text(encoding="utf-8")
    cli = files("depotsafe.ui").joinpath("locale", lang, "LC_MESSAGES", "cli.po").read_text(encoding="utf-8")
    return {"app": i18n.catalog(lang), "cli": i18n.parse_po(cli), "documents": i18n.parse_po(doc)}


def messages(lang: str) -> dict[str, str]:
    """msgid -> msgstr of the app's catalog and the documents' catalog of ``lang`` (the app's word first)."""
    cats = catalogs(lang)
    return {**cats["documents"], **cats["app"]}


def _plain(text: str) -> str:
    return text.replace("\u2019", "'").casefold()


def uses(msgstr: str, row: dict[str, str]) -> bool:
    """Whether ``msgstr`` says the glossary row's term (its translation or one of its forms)."""
    words = [row["translation"], *[f for f in row["forms"].split("|") if f]]
    return any(_plain(w) in _plain(msgstr) for w in words)


def glossary_misses(lang: str) -> tuple[list[tuple[str, ...]], set[str]]:
    """Each (catalog, term, msgid, msgstr) whose msgid has the term and whose msgstr lacks the glossary's
    word; and the terms found in some msgid."""
    misses, used = [], set()
    for r in glossary(lang):
        pattern = re.compile(rf"\b{re.escape(r['term'])}s?\b", re.IGNORECASE)
        for name, cat in catalogs(lang).items():
            for msgid, msgstr in cat.items():
                if pattern.search(msgid):
                    used.add(r["term"])
                    if not uses(msgstr, r):
                        misses.append((name, r["term"], msgid, msgstr))
    return misses, used


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
    misses, used = glossary_misses(lang)
    assert not misses, "\n".join(map(repr, misses))
    assert used >= REQUIRED_TERMS  # the check is not empty


def test_glossary_check_catches_a_wrong_term() -> None:
    """The consistency check is not vacuous: a msgstr without the glossary's word is caught, in any catalog."""
    row = next(r for r in glossary("es") if r["term"] == "compatibility group")
    assert not uses("Grupo de mezcla (opcional)", row)
    assert uses(messages("es")["Compatibility group (optional)"], row)
    # the documents' former French words for a storehouse and a potential explosion site
    fr = {r["term"]: r for r in glossary("fr")}
    assert not uses("Entrepôt (PES) contribuant le plus", fr["storehouse"])
    assert not uses("site de stockage (site potentiel d'explosion)", fr["potential explosion site"])
    assert uses("Type de site d’explosion potentielle (PES)", fr["potential explosion site"])  # ’ as '
