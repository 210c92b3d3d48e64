"""Exceptions raised on bad input or bad rule data.

Every message names the field, the value given and what is allowed, so that
it can be shown to an operator as it is (command line, app).
"""

from __future__ import annotations

from collections.abc import Iterable


class DepotsafeError(Exception):
    """Base class of every error depotsafe raises on purpose."""


class InputError(DepotsafeError, ValueError):
    """A value given by the user is not allowed.

    Parameters
    ----------
    field : str
        The name of the field as the user knows it (``--neq``, ``stock[2].hd``).
    value : object
        The value given.
    allowed : str
        What is allowed, in words.
    """

    def __init__(self, field: str, value: object, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: got {value!r}; {allowed}")


class UnitError(InputError, TypeError):
    """A quantity has the wrong dimension, no unit, or an ambiguous unit."""


class LayoutError(InputError):
    """A depot layout or stock file is invalid."""


class RuleDataError(DepotsafeError):
    """A rule-set data file is malformed (a bug in data/, not in user input)."""


def one_of(values: Iterable[object]) -> str:
    """Describe a closed set of allowed values for an error message."""
    return "allowed: " + ", ".join(str(v) for v in values)
