"""Effect data (data/effects/): Kingery-Bulmash fits, TNT equivalence, levels, probits.

Loaded once, checked (ranges contiguous and increasing, the fits monotone where
the model relies on it) and exposed as frozen dataclasses over read-only
float64 arrays.  Provenance lives in the CSV/TOML headers and in
data/effects/README.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from depotsafe.errors import RuleDataError

#: The seven Swisdak (1994) quantities, in the order of the CLI contract.
QUANTITIES: tuple[str, ...] = (
    "incident_overpressure",
    "incident_impulse",
    "reflected_overpressure",
    "reflected_impulse",
    "arrival_time",
    "positive_duration",
    "shock_front_velocity",
)

#: Quantities whose fitted value is per kg^(1/3) (multiply by W^(1/3)).
CUBE_ROOT_SCALED: frozenset[str] = frozenset(
    {"incident_impulse", "reflected_impulse", "arrival_time", "positive_duration"}
)

#: Factor from the unit of the metric fit to SI: kPa -> Pa, kPa*ms -> Pa*s,
#: ms -> s, km/s -> m/s.  (Unit conversions, not rule numbers.)
TO_SI: dict[str, float] = {
    "incident_overpressure": 1000.0,
    "incident_impulse": 1.0,
    "reflected_overpressure": 1000.0,
    "reflected_impulse": 1.0,
    "arrival_time": 1e-3,
    "positive_duration": 1e-3,
    "shock_front_velocity": 1000.0,
}

#: Which TNT-equivalent mass drives each quantity (see data/effects/README.md).
EQUIVALENCE_BASIS: dict[str, str] = {
    "incident_overpressure": "pressure",
    "reflected_overpressure": "pressure",
    "arrival_time": "pressure",
    "shock_front_velocity": "pressure",
    "incident_impulse": "impulse",
    "reflected_impulse": "impulse",
    "positive_duration": "impulse",
}

N_COEF = 7
_DATA = "effects"


def _read_text(name: str) -> str:
    return (
        resources.files("depotsafe.data").joinpath(_DATA).joinpath(name).read_text(encoding="utf-8")
    )


def _read_csv(name: str) -> list[dict[str, str]]:
    lines = [ln for ln in _read_text(name).splitlines() if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def data_sha256() -> str:
    """SHA-256 over every effects data file, for provenance."""
    digest = hashlib.sha256()
    folder = resources.files("depotsafe.data").joinpath(_DATA)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".csv", ".toml")):
            digest.update(entry.name.encode())
            digest.update(entry.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Fit:
    """Piecewise polynomial fit of one quantity: segments in increasing Z.

    Attributes
    ----------
    quantity : str
    z_min, z_max : ndarray, shape (n,)
        Segment bounds [m/kg^(1/3)] (or [ft/lb^(1/3)] for the English table).
    coef : ndarray, shape (n * 7,)
        Coefficients a..g of each segment, flat, segment-major.
    """

    quantity: str
    z_min: NDArray[np.float64]
    z_max: NDArray[np.float64]
    coef: NDArray[np.float64]
    #: Smallest segment start from which the fit never rises with Z (steps
    #: included), checked on 2001 points per segment; +inf if none.  The grid
    #: kernel prunes events with it (kernels/blast.py).
    z_nonincreasing_from: float = math.inf

    @property
    def n_segments(self) -> int:
        return int(self.z_min.size)

    @property
    def z_lo(self) -> float:
        return float(self.z_min[0])

    @property
    def z_hi(self) -> float:
        return float(self.z_max[-1])

    def segment(self, s: int) -> NDArray[np.float64]:
        return self.coef[N_COEF * s : N_COEF * (s + 1)]


def _readonly(values: list[float]) -> NDArray[np.float64]:
    arr = np.ascontiguousarray(values, dtype=np.float64)
    arr.setflags(write=False)
    return arr


def _log_poly(coef: NDArray[np.float64], u: float) -> float:
    acc = 0.0
    for k in range(N_COEF - 1, -1, -1):
        acc = acc * u + float(coef[k])
    return acc


def _nonincreasing_from(fit: Fit) -> float:
    """Smallest z_min[s] from which the sampled fit never increases."""
    start = math.inf
    prev_last = -math.inf
    for s in range(fit.n_segments - 1, -1, -1):
        u = np.linspace(math.log(fit.z_min[s]), math.log(fit.z_max[s]), 2001)
        vals = np.array([_log_poly(fit.segment(s), float(x)) for x in u])
        # within the segment falling, and not below the next segment's start
        if np.any(np.diff(vals) > 0) or vals[-1] < prev_last:
            break
        start = float(fit.z_min[s])
        prev_last = vals[0]
    return start


def _check_fit(name: str, fit: Fit) -> None:
    for s in range(fit.n_segments):
        if not fit.z_min[s] > 0 or not fit.z_max[s] > fit.z_min[s]:
            raise RuleDataError(f"{name}: {fit.quantity} segment {s}: bad Z range")
        if s and fit.z_min[s] != fit.z_max[s - 1]:
            raise RuleDataError(f"{name}: {fit.quantity}: gap or overlap between segments {s - 1} and {s}")
    if fit.quantity == "incident_overpressure":
        # The field kernels and the inverse rely on each segment falling with Z.
        for s in range(fit.n_segments):
            u = np.linspace(math.log(fit.z_min[s]), math.log(fit.z_max[s]), 2001)
            vals = np.array([_log_poly(fit.segment(s), float(x)) for x in u])
            if np.any(np.diff(vals) >= 0):
                raise RuleDataError(f"{name}: incident overpressure segment {s} is not decreasing")


@cache
def kb_fits(system: str = "metric") -> dict[str, Fit]:
    """The Swisdak (1994) fits, by quantity.

    Parameters
    ----------
    system : {"metric", "english"}
        Metric (kPa, ms, m/kg^(1/3)) is what the model uses; English
        (psi, ms, ft/lb^(1/3)) is kept to cross-check the transcription.
    """
    name = f"kingery_bulmash_{system}.csv"
    rows: dict[str, list[dict[str, str]]] = {}
    for row in _read_csv(name):
        rows.setdefault(row["quantity"], []).append(row)
    if set(rows) != set(QUANTITIES):
        raise RuleDataError(f"{name}: quantities {sorted(rows)} != {sorted(QUANTITIES)}")
    fits: dict[str, Fit] = {}
    for q in QUANTITIES:
        segs = sorted(rows[q], key=lambda r: float(r["z_min"]))
        coef = [float(r[c]) for r in segs for c in "abcdefg"]
        fit = Fit(
            quantity=q,
            z_min=_readonly([float(r["z_min"]) for r in segs]),
            z_max=_readonly([float(r["z_max"]) for r in segs]),
            coef=_readonly(coef),
        )
        _check_fit(name, fit)
        fits[q] = Fit(fit.quantity, fit.z_min, fit.z_max, fit.coef, _nonincreasing_from(fit))
    return fits


@dataclass(frozen=True)
class Explosive:
    """TNT equivalence of one explosive (data/effects/tnt_equivalence.csv)."""

    name: str
    aliases: tuple[str, ...]
    pressure_factor: float
    impulse_factor: float
    pressure_range_mpa: tuple[float, float] | None
    source: str


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@cache
def explosives() -> dict[str, Explosive]:
    """All explosives with a TNT equivalence, by display name."""
    out: dict[str, Explosive] = {}
    for row in _read_csv("tnt_equivalence.csv"):
        lo, hi = row["pressure_range_min_mpa"], row["pressure_range_max_mpa"]
        exp = Explosive(
            name=row["explosive"],
            aliases=tuple(a for a in row["aliases"].split(";") if a),
            pressure_factor=float(row["pressure_factor"]),
            impulse_factor=float(row["impulse_factor"]),
            pressure_range_mpa=(float(lo), float(hi)) if lo and hi else None,
            source=row["source"],
        )
        if not (exp.pressure_factor > 0 and exp.impulse_factor > 0):
            raise RuleDataError(f"tnt_equivalence.csv: {exp.name}: factors must be > 0")
        out[exp.name] = exp
    return out


@cache
def _explosive_index() -> dict[str, Explosive]:
    index: dict[str, Explosive] = {}
    for exp in explosives().values():
        for key in (exp.name, *exp.aliases):
            index[_key(key)] = exp
    return index


def find_explosive(name: str) -> Explosive | None:
    """Look an explosive up by name or alias (case, spaces and '/' ignored)."""
    return _explosive_index().get(_key(name)) if isinstance(name, str) else None


@dataclass(frozen=True)
class ProtectionLevel:
    """One AASTP-1 protection level (data/effects/protection_levels.csv)."""

    level: str
    overpressure_pa: float
    scaled_distance: float  # [m/kg^(1/3)] as printed by AASTP-1
    name: str
    buildings: str
    people: str
    source: str


@cache
def protection_levels() -> tuple[ProtectionLevel, ...]:
    """The protection levels, highest overpressure first."""
    levels = tuple(
        ProtectionLevel(
            level=r["level"],
            overpressure_pa=float(r["overpressure_kpa"]) * 1000.0,
            scaled_distance=float(r["scaled_distance_m_kg13"]),
            name=r["name"],
            buildings=r["buildings"],
            people=r["people"],
            source=r["source"],
        )
        for r in _read_csv("protection_levels.csv")
    )
    pressures = [lv.overpressure_pa for lv in levels]
    if pressures != sorted(pressures, reverse=True) or len(set(pressures)) != len(pressures):
        raise RuleDataError("protection_levels.csv: levels must be strictly decreasing in overpressure")
    return levels


@dataclass(frozen=True)
class Probit:
    """One probit model (data/effects/probits.csv); see depotsafe.effects.injury."""

    model: str
    effect: str
    form: str
    a: float
    b: float
    c1: float
    c2: float
    e1: float
    e2: float
    scale: float
    source: str


def _f(text: str) -> float:
    return float(text) if text else math.nan  # unused coefficient of this form


@cache
def probits() -> dict[str, Probit]:
    """All probit models, by name."""
    out: dict[str, Probit] = {}
    for r in _read_csv("probits.csv"):
        if r["form"] not in ("log_linear", "tno_head", "tno_collapse"):
            raise RuleDataError(f"probits.csv: {r['model']}: unknown form {r['form']!r}")
        out[r["model"]] = Probit(
            model=r["model"], effect=r["effect"], form=r["form"],
            a=_f(r["a"]), b=_f(r["b"]), c1=_f(r["c1"]), c2=_f(r["c2"]),
            e1=_f(r["e1"]), e2=_f(r["e2"]), scale=_f(r["scale"]), source=r["source"],
        )
    return out


@cache
def fragments_thermal() -> dict[str, Any]:
    """The fragment and thermal zone data (data/effects/fragments_thermal.toml)."""
    return tomllib.loads(_read_text("fragments_thermal.toml"))
