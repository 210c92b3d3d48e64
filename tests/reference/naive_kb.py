"""Slow, obvious Kingery-Bulmash reference: power sums, math.hypot, loops.

Reads the coefficients straight from the CSV text (not through
depotsafe.effects.tables) so that a loader bug cannot hide in both.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data" / "effects"


def load(system: str = "metric") -> dict[str, list[tuple[float, float, list[float]]]]:
    text = (DATA / f"kingery_bulmash_{system}.csv").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    out: dict[str, list[tuple[float, float, list[float]]]] = {}
    for row in csv.DictReader(lines):
        coefs = [float(row[c]) for c in "abcdefg"]
        out.setdefault(row["quantity"], []).append((float(row["z_min"]), float(row["z_max"]), coefs))
    return out


def value(segments: list[tuple[float, float, list[float]]], z: float) -> float | None:
    """Fitted value at z (lower segment at a boundary), None outside."""
    for z0, z1, coefs in segments:
        if z0 <= z <= z1:
            u = math.log(z)
            return math.exp(sum(c * u**k for k, c in enumerate(coefs)))
    return None


def field_max(xs, ys, events, segments, scaled):
    """Max over events at each grid point; events are (x, y, w13).

    Returns rows of (value or None, status) with the kernel's status rules:
    1 if any event is too close, else 2 if no event is valid or a beyond-range
    event's bound could exceed the valid maximum, else 0.
    """
    z_lo = segments[0][0]
    z_hi = segments[-1][1]
    f_hi = value(segments, z_hi)
    out = []
    for y in ys:
        row = []
        for x in xs:
            best = None
            bound = None
            close = False
            for ex, ey, w13 in events:
                z = math.hypot(x - ex, y - ey) / w13
                if z < z_lo:
                    close = True
                    continue
                if z > z_hi:
                    b = f_hi * (w13 if scaled else 1.0)
                    bound = b if bound is None else max(bound, b)
                    continue
                v = value(segments, z) * (w13 if scaled else 1.0)
                best = v if best is None else max(best, v)
            if close:
                row.append((None, 1))
            elif best is None or (bound is not None and bound > best):
                row.append((None, 2))
            else:
                row.append((best, 0))
        out.append(row)
    return out
