"""Words and numbers of the documents, in the reader's language.

Strings go through the gettext layer of the app (:mod:`depotsafe.ui.i18n`):
the app's catalog of the language, then the documents' own catalog
(``documents/locale/<lang>.po``, the same PO format) for the words only the
documents use.  Numbers are written by :mod:`depotsafe.textfmt` with the
language's number style, rounded the safe way (required distances up,
measured distances and limits down).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from depotsafe import textfmt
from depotsafe.errors import InputError
from depotsafe.ui.i18n import LANGUAGES

#: Languages a document can be written in: every language the app ships (depotsafe.ui.i18n.LANGUAGES).
DOCUMENT_LANGUAGES: tuple[str, ...] = tuple(LANGUAGES)


@cache
def _document_catalog(lang: str) -> dict[str, str]:
    from depotsafe.ui.i18n import parse_po

    path = files("depotsafe.documents").joinpath("locale", f"{lang}.po")
    if not path.is_file():
        return {}
    return parse_po(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Words:
    """The translator and number style of one language."""

    lang: str
    gettext: Callable[[str], str]
    style: textfmt.NumberStyle

    def metres_up(self, value_m: float) -> str:
        return textfmt.metres_up(value_m, self.style)

    def note(self, text: str) -> str:
        """An engine note, reason or rule label: English as it is; elsewhere a Note's template in the
        language with its values written the language's way (depotsafe.clitext.say_note), a plain
        phrase through the catalogs (a text with no entry stays as the engine wrote it)."""
        if self.lang == "en" or not text:
            return text
        from depotsafe.clitext import say_note

        return say_note(text, self.gettext, self.style.fixed)

    def metres_measured(self, value_m: float) -> str:
        return textfmt.metres_measured(value_m, self.style)

    def kg_stock(self, value_kg: float) -> str:
        return textfmt.kg_stock(value_kg, self.style)

    def kg_limit(self, value_kg: float | None, at_least: bool = False) -> str:
        """A licence: "unlimited", "at least N kg", "nil (0 kg)" or "N kg" (rounded down)."""
        _ = self.gettext
        if value_kg is None or math.isinf(value_kg):
            return _("unlimited")
        if value_kg <= 0.0:
            return _("nil (0 kg)")
        text = textfmt.kg_down(value_kg, self.style)
        return _("at least {limit}").format(limit=text) if at_least else text

    def per_year(self, value: float | None) -> str:
        """A frequency or risk per year as the app's Risk page writes it (textfmt.per_year)."""
        return textfmt.per_year(value, self.style)

    def percent(self, share: float) -> str:
        return textfmt.percent(share, self.style)

    def kg_headroom(self, headroom_kg: float | None, at_least: bool = False) -> str:
        """Headroom (rounded down) or shortfall (rounded up), in words."""
        _ = self.gettext
        if headroom_kg is None or math.isinf(headroom_kg):
            return _("unlimited")
        if headroom_kg < 0.0:
            over = self.style.fixed(math.ceil(-headroom_kg - 1e-9))
            return _("SHORTFALL: {kg} kg over the limit").format(kg=over)
        text = textfmt.kg_down(headroom_kg, self.style) if headroom_kg >= 1.0 else "0 kg"
        return _("at least {limit}").format(limit=text) if at_least else text


def words(lang: str) -> Words:
    """The words of ``lang`` (one of :data:`DOCUMENT_LANGUAGES`); InputError for any other."""
    if lang not in DOCUMENT_LANGUAGES:
        raise InputError("--lang", lang, "one of " + ", ".join(DOCUMENT_LANGUAGES))
    from depotsafe.ui.i18n import catalog

    app = catalog(lang)
    own = _document_catalog(lang)

    def gettext(message: str) -> str:
        # the app's word first, so that a document and the app's pages say the same thing
        return app.get(message) or own.get(message) or message

    return Words(lang, gettext, textfmt.style_of(lang))
