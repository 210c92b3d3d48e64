"""Translation layer of the app: gettext catalogs (.po) per language.

Every user-facing string of the app goes through :func:`translator` (in the
pages through ``depotsafe.ui.text._``).  Catalogs live in
``depotsafe/ui/locale/<lang>/LC_MESSAGES/depotsafe.po``; they are read with a
small PO reader, so no compile step (msgfmt) is needed and a new language is
one new .po file.  English is the source language: its catalog may leave
``msgstr`` empty (the msgid is shown).

A name defined away from where it is shown is marked ``N_("...")`` (kinds,
faces) and translated by ``_()`` when shown; names that come from the data
files (zone names, injury descriptions) are listed by :func:`data_messages`
and translated at display time, the data never changed.  Numbers, units and
dates are written by locale through Babel (``depotsafe.textfmt``).
"""

from __future__ import annotations

import ast
import gettext
from functools import cache
from importlib.resources import files

DOMAIN = "depotsafe"

#: The six official languages of the UN, code -> name in that language.
UN_LANGUAGES: dict[str, str] = {
    "en": "English", "fr": "Français", "es": "Español", "ru": "Русский", "zh": "中文", "ar": "العربية",
}
#: Languages shipped complete (a catalog with every message: tests/test_app_i18n.py), code -> name.
#: A new language is added here once its catalog is complete (docs/translating.md).
LANGUAGES: dict[str, str] = {code: UN_LANGUAGES[code] for code in ("en", "fr", "es", "ru", "zh", "ar")}
DEFAULT_LANGUAGE = "en"
#: Languages written right to left: the app mirrors its pages and draws its tables as HTML.
RTL_LANGUAGES: frozenset[str] = frozenset({"ar"})


def direction(lang: str) -> str:
    """The writing direction of ``lang`` as HTML names it: "rtl" or "ltr"."""
    return "rtl" if lang in RTL_LANGUAGES else "ltr"


def _unquote(text: str) -> str:
    """Value of one quoted PO string (C escapes, as in Python literals)."""
    value = ast.literal_eval(text)
    if not isinstance(value, str):  # pragma: no cover - the catalogs are ours
        msg = f"not a PO string: {text!r}"
        raise ValueError(msg)
    return value


def parse_po(text: str) -> dict[str, str]:
    """Messages of a PO catalog: msgid -> msgstr (empty msgstr left out).

    Handles comments, multi-line strings and the header entry; plural forms
    and contexts are not used by the app.
    """
    messages: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None

    def flush() -> None:
        if msgid is not None and msgstr is not None:
            key, value = "".join(msgid), "".join(msgstr)
            if key and value:
                messages[key] = value

    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            msgid, msgstr = [_unquote(line[6:])], None
            current = msgid
        elif line.startswith("msgstr "):
            msgstr = [_unquote(line[7:])]
            current = msgstr
        elif line.startswith('"') and current is not None:
            current.append(_unquote(line))
        else:
            msg = f"PO syntax error on line {n}: {raw!r}"
            raise ValueError(msg)
    flush()
    return messages


class POTranslations(gettext.NullTranslations):
    """A gettext translations object over a parsed PO catalog."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self._messages = messages

    def gettext(self, message: str) -> str:
        return self._messages.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)


def catalog_text(lang: str) -> str:
    """The raw PO text of one shipped language."""
    path = files("depotsafe.ui").joinpath("locale", lang, "LC_MESSAGES", f"{DOMAIN}.po")
    return path.read_text(encoding="utf-8")


#: The words of the page ``depotsafe app`` opens before the app answers (depotsafe.commands.app), msgids of
#: every catalog: the title, the line before the app's address, and what it says when the server never answers.
STARTING_PAGE: tuple[str, ...] = (
    "Starting depotsafe…",
    "The app opens here as soon as it answers at",
    "depotsafe has not answered for {s} s: see the terminal where it was started (a port in use, or an error).",
)


def lookup(lang: str, messages: tuple[str, ...]) -> dict[str, str]:
    """A few messages of ``lang``'s catalog, found in its text without parsing the whole of it.

    For the browser opener of ``depotsafe app``, which starts beside the server and must open its page
    at once: :func:`catalog` parses every entry (ast.literal_eval per line: 145-200 ms for the six
    catalogs on a loaded two-core machine, where the whole starting page is written in 26-55 ms with
    this); this finds the one-line ``msgid`` of each message and reads its ``msgstr`` (with its
    continuation lines).  A message not found, or empty, is left out (the English text is shown).
    """
    if lang not in LANGUAGES:
        return {}
    text = catalog_text(lang)
    out: dict[str, str] = {}
    for message in messages:
        key = f"\nmsgid {po_quote(message)}\nmsgstr "
        at = text.find(key)
        if at < 0:
            continue
        parts: list[str] = []
        pos = at + len(key)
        while pos < len(text):
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            line = text[pos:end].strip()
            if parts and not line.startswith('"'):
                break
            parts.append(_unquote(line))
            pos = end + 1
        if "".join(parts):
            out[message] = "".join(parts)
    return out


@cache
def catalog(lang: str) -> dict[str, str]:
    """Parsed messages of one shipped language."""
    if lang not in LANGUAGES:
        return {}
    return parse_po(catalog_text(lang))


@cache
def translator(lang: str) -> POTranslations:
    """The translations object of ``lang`` (unknown languages fall back to English)."""
    return POTranslations(catalog(lang if lang in LANGUAGES else DEFAULT_LANGUAGE))


def source_messages(paths: list[str] | None = None) -> list[str]:
    """Every literal passed to ``_()`` or ``N_()`` in the app's sources, in order of appearance.

    Used to keep the catalogs complete (tests/test_app_i18n.py) and to write
    a new language's catalog.
    """
    from pathlib import Path

    if paths is None:
        folder = Path(str(files("depotsafe.ui")))
        paths = [str(p) for p in sorted(folder.glob("*.py"))]
    seen: dict[str, None] = {}
    for path in paths:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                seen.setdefault(node.args[0].value, None)
    return list(seen)


#: Phrases of the engine shown in the app's tables, translated at display time (a msgid each).
ENGINE_PHRASES: tuple[str, ...] = (
    "no blast event",
    "inside fit minimum (closer than Z = 0.2; overpressure above every level)",
    "below 1.5 kPa",
    # notes of the one-pair calculation (depotsafe.api)
    "HD 1.2 without the NEQ of one round counts as 1.2.1 (standards.md §9 decision 7)",
    "HD 1.3 of group C: propellant table 3A (AASTP-1 §1.3.1.6 a))",
    "HD 1.3 of group G: table 3B (other items, AASTP-1 §1.3.1.6 a))",
    "HD 1.3 without a group: the larger of tables 3A and 3B",
    "HD 1.5 is stored as HD 1.1 (AASTP-1 §1.2.1.2 note 2)",
    "No QD: the table requires no distance for this pair",
    "unlimited: no rule of this pair depends on the quantity",
    # the rule of a pair that needs no distance (depotsafe.check, depotsafe.api)
    "No QD",
)


def engine_templates() -> list[str]:
    """Engine notes shown by the app, each a msgid: templates of notes that carry values
    (depotsafe.messages.Note, translated by depotsafe.ui.common.note_text) and fixed notes.

    The command line reads the same catalog entries (depotsafe.clitext): a rule label or an event's
    reason is translated once, for both."""
    from depotsafe import check, qd, scenario, tablemode
    from depotsafe.api import (
        BELOW_TABLE_FLAG,
        HD12_SPLIT_NOTE,
        HD13_GROUP_NOTE,
        NIL_NOTE,
    )
    from depotsafe.effects.blast import TNT_RANGE_NOTE
    from depotsafe.effects.event import EVENT_REASONS, NO_FRAGMENT_ZONE_NOTE
    from depotsafe.risk import (
        FN_NOTE_FR,
        FN_NOTE_NL,
        FN_NOTE_UK,
        GRID_CELL_NOTE,
        REASON_TEMPLATES,
    )

    return [HD12_SPLIT_NOTE, HD13_GROUP_NOTE, BELOW_TABLE_FLAG, NIL_NOTE, TNT_RANGE_NOTE, NO_FRAGMENT_ZONE_NOTE,
            FN_NOTE_UK, FN_NOTE_NL, FN_NOTE_FR,
            # the check's notes and why a site counts as very sensitive (depotsafe.check)
            check.TABLE_MODE_NOTE, check.GROUPS_NOTE, check.VS_GROUP_NOTE, check.NO_VS_RULE_NOTE,
            check.VS_DECLARED_REASON, check.VS_STOCK_REASON, check.TWO_REASONS,
            # the scenario's rules of escalation and notes (depotsafe.scenario)
            *scenario.EVENT_TEXT.values(), *scenario.RULE_TEXT.values(), scenario.RULE_CELL, scenario.RULE_LIMITED,
            scenario.RULE_NO_DEGREE, scenario.RULE_HD14_MET, scenario.RULE_HD14_NOT_MET,
            scenario.RULE_VERY_SENSITIVE, scenario.T2_NOTE, *scenario.CHAIN_NOTES, scenario.FOLLOW_DROPPED_NOTE,
            # the table mode's notes (depotsafe.tablemode) and the risk page's grid (depotsafe.risk)
            *tablemode.NOTE_TEMPLATES, GRID_CELL_NOTE,
            # rule labels (depotsafe.qd: the table and function codes as AASTP-1 prints them, the words around
            # them translated), why an explosion is a site alone or its group (depotsafe.effects.event) and
            # why an event has its outcome (depotsafe.risk)
            *qd.LABELS, *EVENT_REASONS, *REASON_TEMPLATES]


def data_messages() -> list[str]:
    """Names from the data files that the app shows in words (zones, injuries, hazard bases).

    The data are never changed: each name is a msgid of its own, translated
    when it is shown (``depotsafe.ui.common.tr``).  Rule labels and sources
    stay as quoted.
    """
    from depotsafe.effects.hazards import BASIS
    from depotsafe.effects.tables import probits, protection_levels

    seen: dict[str, None] = {}
    for lv in protection_levels():
        seen.setdefault(lv.name, None)
        seen.setdefault(lv.people, None)
    for p in probits().values():
        seen.setdefault(p.effect, None)
    seen.setdefault(BASIS, None)
    for phrase in (*ENGINE_PHRASES, *engine_templates()):
        seen.setdefault(phrase, None)
    return list(seen)


def all_messages() -> list[str]:
    """Every message the catalogs must hold: the app's literals, the data names and the starting page's words."""
    return list(dict.fromkeys([*source_messages(), *data_messages(), *STARTING_PAGE]))


def po_quote(text: str) -> str:
    """A PO string literal for ``text``."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


def missing_stubs(lang: str) -> str:
    """PO entries (empty msgstr) for every app message ``lang`` lacks."""
    have = catalog(lang)
    head = "" if lang in LANGUAGES else (
        'msgid ""\nmsgstr ""\n"Language: ' + lang + '\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    )
    return head + "".join(f"\nmsgid {po_quote(m)}\nmsgstr \"\"\n" for m in all_messages() if m not in have)


if __name__ == "__main__":  # pragma: no cover - maintenance helper
    import sys

    # python -m depotsafe.ui.i18n fr >> .../fr/LC_MESSAGES/depotsafe.po, then translate
    sys.stdout.write(missing_stubs(sys.argv[1] if len(sys.argv) > 1 else "fr"))
