"""Engine messages that carry values, kept whole for a reader in another language.

The engine speaks English: its notes are plain strings in the JSON output and
the readable text, and that contract does not change.  A :class:`Note` *is*
that English string (a ``str``), and also keeps the template it was written
from and the values put into it, so that the app can say the same thing in the
user's language, the numbers written the way that language writes them
(depotsafe.ui.common.note_text), without parsing English back.

Each template is a msgid of the app's catalogs (depotsafe.ui.i18n.engine_templates: rule
labels, depotsafe.qd.LABELS, and the reasons of an explosion event among them), which the
command line reads too, or of the command line's own (cli.po) for what only it prints.  A
value may itself be a Note (a part of a longer sentence, a quantity with its unit), or a
:class:`Verbatim` (a site id, a cited clause: the same in every language): :func:`render`
says each part in the language; the command line and the documents (depotsafe.clitext.say_note)
and the app (depotsafe.ui.common.note_text) use it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any


class Note(str):
    """An English message written from ``template`` and ``values`` (``template.format(**values)``).

    It compares, hashes, serialises to JSON and prints as the English text.
    """

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Note:
        note = super().__new__(cls, template.format(**values))
        note.template = template
        note.values = dict(values)
        return note

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.template, self.values))


def _rebuild(template: str, values: dict[str, Any]) -> Note:
    return Note(template, **values)


class Verbatim(str):
    """A value of a :class:`Note` said as it is in every language: a site id, a list of ids, a clause
    cited as the standard prints it (:func:`render` never looks it up in a catalog)."""


#: A field of a message template: "{p_kpa:.4g}" -> name, format spec.
NOTE_FIELD = re.compile(r"\{(\w+)(?::([^{}]*))?\}")


def english_number(value: float, spec: str, fixed: Callable[[float, int], str]) -> str:
    """A number of a message to the precision its English text gives it, written by ``fixed(value, decimals)``."""
    english = format(value, spec)  # an int as an int: "4000000", not "4000000.0"
    if not math.isfinite(value):
        return english
    try:
        exact = Decimal(english.replace(",", ""))
    except InvalidOperation:
        return english
    exponent = exact.as_tuple().exponent
    return fixed(float(exact), max(0, -int(exponent)) if isinstance(exponent, int) else 0)


def render(note: str, translate: Callable[[str], str], fixed: Callable[[float, int], str],
           kind: Callable[[str], str]) -> str:
    """``note`` in another language: a :class:`Note`'s template through ``translate``, its numbers by
    ``fixed(value, decimals)`` to the English text's precision, a ``kind`` value by ``kind``, a value
    that is itself a Note rendered the same way, a :class:`Verbatim` value as it is, any other text value
    through ``translate``.  A plain string is one phrase (``translate(note)``)."""
    template = getattr(note, "template", None)
    if template is None:
        return translate(note)
    values = note.values  # type: ignore[attr-defined]
    shown: dict[str, str] = {}
    for m in NOTE_FIELD.finditer(template):
        name, spec = m.group(1), m.group(2) or ""
        value = values[name]
        if isinstance(value, int | float) and not isinstance(value, bool):
            shown[name] = english_number(value, spec, fixed)
        elif isinstance(value, Verbatim):
            shown[name] = str(value)
        elif name == "kind":
            shown[name] = kind(str(value))
        else:
            shown[name] = render(str(value) if not hasattr(value, "template") else value, translate, fixed, kind)
    return NOTE_FIELD.sub(lambda m: shown[m.group(1)], translate(template))
