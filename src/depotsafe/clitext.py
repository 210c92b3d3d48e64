"""The readable command-line output in the user's language (``--lang`` of check, effects, risk, scenario).

The words come from gettext catalogs: the command line's own
(``depotsafe/ui/locale/<lang>/LC_MESSAGES/cli.po``), then the app's (the same
term on a page and in a terminal), then the documents'.  A message is marked
``tr("...")`` in the command's text code (the English text is the msgid, so
English output is the source text itself); :func:`cli_messages` collects them
and tests/test_cli_lang.py keeps every catalog complete.  Numbers are written
by :mod:`depotsafe.textfmt` in the language's number style (rounded the safe
way, as in English).  The engine's notes are :class:`depotsafe.messages.Note`
(a template and its values, the app's msgids): :meth:`CliWords.note` says
them in the language as the app does; kinds of site are named in words.  Rule
labels, source citations and site ids stay as they are quoted.  ``--json`` is
never translated.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from depotsafe import textfmt
from depotsafe.errors import InputError

#: Languages of the readable output: the app's (depotsafe.ui.i18n.LANGUAGES), English first.
CLI_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "ru", "zh", "ar")

#: Modules whose ``tr("...")`` literals are the command line's messages (relative to the package).
CLI_SOURCES: tuple[str, ...] = ("report.py", "clitext.py", "commands/effects.py", "commands/risk.py",
                                "commands/scenario.py")


#: The verdict bands of ``depotsafe risk`` (depotsafe.risk): English prints the id, other languages words.
RISK_BANDS: tuple[str, ...] = (
    "intolerable", "broadly_acceptable", "tolerable_if_alarp", "tolerable", "no_criterion",
    "admissible_by_analogy", "not_admissible_by_analogy", "below_1e-6", "exceeds_limit", "exceeds_target_value",
    "above_orientation_value", "below_orientation_value", "no_societal_criterion",
)


#: Kinds of site in words (the app's names, depotsafe.ui.common.KIND_NAMES: the same msgids).
KIND_NAMES: dict[str, str] = {
    "igloo_7bar": "igloo, 7 bar",
    "igloo_3bar": "igloo, 3 bar",
    "earth_covered": "other earth-covered building",
    "heavy_walled_roof": "heavy-walled building with protective roof",
    "heavy_walled": "heavy-walled building",
    "barricaded_stack": "barricaded open stack",
    "unbarricaded_stack": "unbarricaded open stack",
    "workshop_roof_barricaded": "barricaded workshop with protective roof",
    "workshop_barricaded": "barricaded workshop",
    "workshop": "unbarricaded workshop",
    "public_traffic_route": "public traffic route",
    "inhabited_building": "inhabited building",
    "vulnerable_building": "vulnerable building",
}


def say_note(text: str, translate: Callable[[str], str], fixed: Callable[[float, int], str]) -> str:
    """An engine note, reason or rule label in another language, as the command line and the documents
    say it: a :class:`depotsafe.messages.Note`'s template through ``translate`` with its numbers written by
    ``fixed(value, decimals)`` and a kind of site in words (:data:`KIND_NAMES`, a kind we do not name as
    it is); a plain phrase through ``translate`` (depotsafe.messages.render)."""
    from depotsafe.messages import render

    def kind(value: str) -> str:
        return translate(KIND_NAMES[value]) if value in KIND_NAMES else value

    return render(text, translate, fixed, kind)

#: Notes of every ``depotsafe effects`` answer (depotsafe.effects.answer), each a msgid of cli.po; then the
#: notes of some answers and where the event's NEQ comes from (the same module's constants).
EFFECTS_NOTES: tuple[str, ...] = (
    "distances from the event footprint (the union of the members' footprints) to the nearest point of each site",
    "blast zones drawn from the incident overpressure (Kingery-Bulmash), largest distance",
    "no HD 1.1/1.5 in the event: no mass explosion, no blast zones (fragment/thermal only)",
    "{others} in the same aggregation group listed as exposed sites (exploded alone on request)",
    "stock: HD 1.1 + 1.5 (+ 1.2, 1.3 mixed with them, AASTP-1 Table 4)",
    "stock: HD 1.1 + 1.5 (+ 1.2, 1.3 mixed with them, AASTP-1 Table 4) of every member of the group",
)

#: Degrees of protection (depotsafe.protection) in words, as textfmt.describe_text writes them.
DEGREE_WORDS: dict[str, str] = {
    "virtually_complete": "virtually complete", "high": "high", "high_limited": "high/limited",
    "moderate": "moderate", "limited": "limited", "none": "none assured",
}


def add_lang_option(p: argparse.ArgumentParser) -> None:
    """The ``--lang`` option of a command with readable output."""
    p.add_argument("--lang", default="en", metavar="LANG",
                   help="language of the readable output: en (default), fr, es, ru, zh or ar "
                        "(numbers in that language's style; --json is the same in every language)")


@cache
def _catalog(lang: str) -> dict[str, str]:
    from depotsafe.ui.i18n import parse_po

    path = files("depotsafe.ui").joinpath("locale", lang, "LC_MESSAGES", "cli.po")
    return parse_po(path.read_text(encoding="utf-8")) if path.is_file() else {}


@dataclass(frozen=True)
class CliWords:
    """The translator and number style of one language of the command line."""

    lang: str
    tr: Callable[[str], str]
    style: textfmt.NumberStyle

    def count(self, n: int) -> str:
        """A count: "40000" in English (as the command line always wrote it), grouped elsewhere."""
        return str(n) if self.lang == "en" else self.style.fixed(n)

    def fixed(self, value: float, decimals: int) -> str:
        """``value`` with ``decimals`` decimals, ungrouped in English as before, the locale's style elsewhere."""
        return f"{value:.{decimals}f}" if self.lang == "en" else self.style.fixed(value, decimals)

    def g(self, value: float) -> str:
        """A count that may have decimals (persons), as Python's ``g`` writes it, the language's decimal sign."""
        text = f"{value:g}"
        return text if self.lang == "en" else text.replace(".", self.style.decimal)

    def g3(self, value: float) -> str:
        """Three significant figures as Python's ``.3g`` writes them, the language's decimal sign."""
        text = f"{value:.3g}"
        return text if self.lang == "en" else text.replace(".", self.style.decimal)

    def unit(self, number_text: str, unit: str) -> str:
        return self.style.unit(number_text, unit)

    def kind(self, kind: str) -> str:
        """A kind of site: its layout value in English (as the command line always wrote it), words elsewhere."""
        return kind if self.lang == "en" or kind not in KIND_NAMES else self.tr(KIND_NAMES[kind])

    def note(self, text: str) -> str:
        """An engine note or phrase: English as it is; elsewhere said in the language (:func:`say_note`)."""
        return text if self.lang == "en" else say_note(text, self.tr, self.style.fixed)

    def assessment(self, es: str, pes: str, distance_m: float, why: str, source: str, required_m: float,
                   hd: str, rule: str) -> str:
        """A pair whose tabulated distance is suspended (decision 30): textfmt.assessment_required in words."""
        if self.lang == "en":
            return textfmt.assessment_required(
                f"{es}{pes} at {textfmt.metres_measured(distance_m)}", why, source,
                f"tabulated {textfmt.metres_up(required_m)}, HD {hd}, {rule}")
        tr = self.tr
        return tr("ASSESSMENT REQUIRED: {es}{pes} at {distance} holds {why}: the inter-magazine distance "
                  "(tabulated {required}, HD {hd}, {rule}, for information only) must not be used; an "
                  "individual assessment decides, a violation until then [{source}]").format(
            es=es, pes=pes, distance=self.metres_measured(distance_m), why=self.note(why),
            required=self.metres_up(required_m), hd=hd, rule=self.note(rule), source=source)

    def protection(self, p: dict | None) -> str:
        """A pair's degree of protection on one line: textfmt.describe_text in words."""
        if self.lang == "en":
            return textfmt.describe_text(p)
        tr = self.tr
        if p is None:
            return tr("protection: no degree (not a storage-to-storage cell)")
        text = tr("protection: {degree}").format(degree=tr(DEGREE_WORDS[p["degree"]]))
        alts = "; ".join(f"{c['cell']} {c['degree_alternative']}"
                         f"{'^' + c['degree_letters'] if c['degree_letters'] else ''}" for c in p["cells"])
        text += f" ({alts})"
        if p["notes"]:
            from depotsafe.protection import NOTE_TEXT

            text += tr("; notes: {notes}").format(
                notes=", ".join(tr(NOTE_TEXT.get(n, n.replace("_", " "))) for n in p["notes"]))
        if p["requested"] != "default":
            asked = tr(p["requested"].replace("-", " "))
            if not p["available"]:
                text += tr(". PROTECTION UNAVAILABLE: no alternative of this cell gives {asked} protection; the "
                           "default distance is shown for information, a violation until assessed").format(asked=asked)
            elif p["smaller_than_default"]:
                text += tr(". {asked} protection asked: smaller than the default ({default})").format(
                    asked=asked, default=self.metres_up(p["default_distance_m"]))
            else:
                text += tr(". {asked} protection asked").format(asked=asked)
        return text

    def metres_up(self, value_m: float) -> str:
        return textfmt.metres_up(value_m, self.style)

    def metres_measured(self, value_m: float) -> str:
        return textfmt.metres_measured(value_m, self.style)

    def kg_stock(self, value_kg: float) -> str:
        return textfmt.kg_stock(value_kg, self.style)

    def number(self, value: float, unit: str, digits: int = 3) -> str:
        return textfmt.number(value, unit, digits, self.style)

    def percent(self, p: float) -> str:
        return textfmt.percent(p, self.style)

    def sci(self, value: float) -> str:
        """A rate or frequency as the app's Risk page and the documents write it (textfmt.per_year): three
        significant figures, "1.23 × 10⁻⁵" in English, "1,23 × 10⁻⁵" in French; "0" for zero."""
        return textfmt.per_year(value, self.style)

    def kg_limit(self, value_kg: float | None, at_least: bool = False) -> str:
        """A licence or limit: "unlimited", "at least N kg", "nil (0 kg)" or N kg (rounded down)."""
        tr = self.tr
        if value_kg is None or value_kg == float("inf"):
            return tr("unlimited")
        if value_kg <= 0.0:
            return tr("nil (0 kg)")
        text = textfmt.kg_down(value_kg, self.style)
        return tr("at least {limit}").format(limit=text) if at_least else text

    def kg_headroom(self, headroom_kg: float | None, at_least: bool = False) -> str:
        """Headroom (rounded down) or the shortfall (rounded up), in words."""
        import math

        tr = self.tr
        if headroom_kg is None or math.isinf(headroom_kg):
            return tr("headroom unlimited")
        if headroom_kg < 0.0:
            over = self.style.fixed(math.ceil(-headroom_kg - 1e-9))
            return tr("SHORTFALL {kg} kg over the limit").format(kg=over)
        kg = self.style.fixed(math.floor(headroom_kg + 1e-9))
        return (tr("headroom at least {kg} kg") if at_least else tr("headroom {kg} kg")).format(kg=kg)


#: English: the source text itself and the fast number style (a large depot's report writes millions of figures).
ENGLISH = CliWords("en", lambda message: message, textfmt.ENGLISH)


@cache
def cli_words(lang: str = "en") -> CliWords:
    """The words of ``lang``; InputError (exit status 2) naming --lang for a language we do not ship."""
    if lang == "en":
        return ENGLISH
    if lang not in CLI_LANGUAGES:
        raise InputError("--lang", lang, "one of " + ", ".join(CLI_LANGUAGES))
    from depotsafe.documents.text import _document_catalog
    from depotsafe.ui.i18n import catalog

    own, app, docs = _catalog(lang), catalog(lang), _document_catalog(lang)

    def tr(message: str) -> str:
        return own.get(message) or app.get(message) or docs.get(message) or message

    return CliWords(lang, tr, textfmt.style_of(lang))


def cli_messages() -> list[str]:
    """Every ``tr("...")`` literal of :data:`CLI_SOURCES`, in order (the messages cli.po must hold)."""
    root = Path(__file__).parent
    seen: dict[str, None] = {}
    for rel in CLI_SOURCES:
        tree = ast.parse((root / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr"
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                seen.setdefault(node.args[0].value, None)
    # shown through tr() by depotsafe effects and risk: the injury names and the verdict bands
    from depotsafe.commands.blast import INJURY_NAMES
    from depotsafe.protection import NOTE_TEXT
    from depotsafe.scenario import OUTCOMES
    from depotsafe.ui.i18n import engine_templates

    # kinds and degrees in words, the notes of a degree, how a storehouse fares, and the engine's notes (with
    # the rule labels and the events' reasons: the app's catalog entries)
    for name in (*INJURY_NAMES.values(), *RISK_BANDS, *KIND_NAMES.values(), *DEGREE_WORDS.values(),
                 *NOTE_TEXT.values(), *OUTCOMES, *engine_templates(), "No QD", *EFFECTS_NOTES):
        seen.setdefault(name, None)
    return list(seen)


def missing(lang: str) -> list[str]:
    """The command line's messages ``lang``'s catalogs do not translate."""
    from depotsafe.documents.text import _document_catalog
    from depotsafe.ui.i18n import catalog

    known = {**_document_catalog(lang), **catalog(lang), **_catalog(lang)}
    return [m for m in cli_messages() if m not in known]
