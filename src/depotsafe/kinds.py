"""Kinds of site in a depot layout, read from data/kinds.csv."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from depotsafe.errors import InputError, RuleDataError, one_of


@dataclass(frozen=True)
class Kind:
    """One kind of site (a row of data/kinds.csv)."""

    name: str
    holds_explosives: str  # "yes", "may" or "no"
    earth_covered: bool
    geometry_types: tuple[str, ...]
    description: str


def read_data_csv(name: str) -> list[dict[str, str]]:
    """Read a CSV from depotsafe.data, skipping '#' provenance lines."""
    text = resources.files("depotsafe.data").joinpath(name).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@cache
def kinds() -> dict[str, Kind]:
    """All kinds, by name."""
    out: dict[str, Kind] = {}
    for row in read_data_csv("kinds.csv"):
        if row["holds_explosives"] not in ("yes", "may", "no"):
            raise RuleDataError(f"kinds.csv: kind {row['kind']}: bad holds_explosives")
        out[row["kind"]] = Kind(
            name=row["kind"],
            holds_explosives=row["holds_explosives"],
            earth_covered=row["earth_covered"] == "yes",
            geometry_types=tuple(row["geometry"].split()),
            description=row["description"],
        )
    return out


def get_kind(name: str, field: str = "kind") -> Kind:
    """Look up a kind or raise an InputError listing the valid ones."""
    try:
        return kinds()[name]
    except (KeyError, TypeError):
        raise InputError(field, name, one_of(kinds())) from None
