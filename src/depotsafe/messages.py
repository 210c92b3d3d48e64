"""Engine messages that carry values, kept whole for a reader in another language.

The engine speaks English: its notes are plain strings in the JSON output and
the readable text, and that contract does not change.  A :class:`Note` *is*
that English string (a ``str``), and also keeps the template it was written
from and the values put into it, so that the app can say the same thing in the
user's language, the numbers written the way that language writes them
(depotsafe.ui.common.note_text), without parsing English back.

Each template is a msgid of the app's catalogs (depotsafe.ui.i18n.ENGINE_TEMPLATES).
"""

from __future__ import annotations

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
