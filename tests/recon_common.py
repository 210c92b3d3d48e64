"""Shared readers of the scenario library's reconstructions (data/scenarios/recon_<id>*), for their tests.

Nothing here asserts a value of our own: the coordinates are the sources', the predictions the
installed commands' JSON, and the tables are parsed out of data/scenarios/README.md.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

from pyproj import Geod

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "data" / "scenarios"
README = SCENARIOS / "README.md"
GEOD = Geod(ellps="WGS84")
LABEL = "approximate reconstruction for training"

# 34°43′41″N, 34° 44′ N, 33° 18′ O (German: Ost), and latitude.to's ASCII form 41° 25' 4.08" N
_DMS = re.compile(r"(\d+)°\s*(\d+)\s*[′']\s*(?:(\d+(?:\.\d+)?)\s*[″\"])?\s*([NSEWO])")
URL = re.compile(r"https?://\S+")


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    """The installed ``depotsafe`` command."""
    exe = str(Path(sys.executable).with_name("depotsafe"))
    return subprocess.run([exe, *argv], capture_output=True, text=True, timeout=600, check=False)


def places(rid: str) -> list[dict[str, str]]:
    path = SCENARIOS / f"recon_{rid}_places.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def dms_to_degrees(text: str) -> tuple[float, float]:
    """(lat, lon) in degrees from a coordinate text as a source prints it."""
    parts = _DMS.findall(text)
    assert len(parts) == 2, f"not two coordinates in {text!r}"
    out = {}
    for deg, minutes, sec, hemi in parts:
        v = int(deg) + int(minutes) / 60 + (float(sec) if sec else 0.0) / 3600
        out["lat" if hemi in "NS" else "lon"] = (-1.0 if hemi in "SW" else 1.0) * v
    return out["lat"], out["lon"]


def geodesic(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """(azimuth a->b in degrees, distance in m) between two (lat, lon) points."""
    az, _, d = GEOD.inv(a[1], a[0], b[1], b[0])
    return az % 360.0, d


def layout(rid: str) -> dict:
    return json.loads((SCENARIOS / f"recon_{rid}.geojson").read_text(encoding="utf-8"))


@cache
def scenario_json(rid: str) -> dict:
    r = run("scenario", "--load", str(SCENARIOS / f"recon_{rid}.json"), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def section(heading: str, collapse: bool = False) -> str:
    """The README's section under ``heading`` (whitespace collapsed if asked: prose breaks anywhere)."""
    text = README.read_text(encoding="utf-8")
    start = text.index(heading)
    end = text.find("\n## ", start + 1)
    body = text[start:] if end < 0 else text[start:end]
    return " ".join(body.split()) if collapse else body


def table(rid: str, name: str) -> list[list[str]]:
    """The rows (cells) of the README table between its markers."""
    text = README.read_text(encoding="utf-8")
    head = f"<!-- recon-table: {rid} {name} -->"
    assert text.count(head) == 1, head
    body = text.split(head, 1)[1].split("<!-- /recon-table -->", 1)[0]
    lines = [ln for ln in body.strip().splitlines() if ln.startswith("|")]
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines[2:]]
    assert rows, f"empty table {name}"
    assert all(len(r) == len(lines[0].strip().strip("|").split("|")) for r in rows)
    return rows


def num(cell: str) -> float:
    """The number a cell starts with ("more than" before it allowed)."""
    m = re.match(r"\s*(?:more than\s+)?([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)", cell)
    assert m, f"no number at the start of {cell!r}"
    return float(m.group(1))


def sig(v: float, n: int) -> float:
    return float(f"{v:.{n}g}")
