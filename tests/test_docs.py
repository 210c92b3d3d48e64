"""The user documentation in docs/ is exercised: its commands run, its formats hold.

- every ``$ depotsafe ...`` line in a ``console`` block runs (in a copy of
  docs/examples) with the exit status given on the ``# exit N`` line after it;
- every option of every command (from its argparse parser) appears in cli.md;
- every JSON key that cli.md promises for ``check`` is in the real output;
- every feature property layout.md documents is accepted by the layout reader,
  and every stock field documented is accepted by the stock parser;
- the worked example's figures are the published formulas' values.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DEPOTSAFE = str(Path(sys.executable).with_name("depotsafe"))


def _console_commands() -> list[tuple[str, str, int]]:
    """(page, command, expected exit status) of every ``$ depotsafe`` line in a console block."""
    found = []
    for page in sorted(DOCS.glob("*.md")):
        blocks = re.findall(r"```console\n(.*?)```", page.read_text(), flags=re.S)
        for block in blocks:
            lines = block.strip().splitlines()
            for k, line in enumerate(lines):
                if line.startswith("$ depotsafe"):
                    m = re.fullmatch(r"# exit (\d)", lines[k + 1].strip()) if k + 1 < len(lines) else None
                    assert m, f"{page.name}: '{line}' needs a '# exit N' line after it"
                    found.append((page.name, line[2:], int(m.group(1))))
    return found


COMMANDS = _console_commands()


def test_the_docs_show_commands() -> None:
    assert len(COMMANDS) >= 7


@pytest.mark.parametrize(("page", "command", "status"), COMMANDS, ids=[c[1][:60] for c in COMMANDS])
def test_documented_command_runs(page: str, command: str, status: int, tmp_path: Path) -> None:
    work = tmp_path / "docs" / "examples"  # the pages' paths are relative to docs/examples
    shutil.copytree(DOCS / "examples", work)
    shutil.copytree(ROOT / "data" / "samples", tmp_path / "data" / "samples")
    argv = shlex.split(command)
    assert argv[0] == "depotsafe"
    out = subprocess.run([DEPOTSAFE, *argv[1:]], cwd=work, capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == status, f"{page}: {command}\n{out.stderr}"
    assert "Traceback" not in out.stderr
    if "--json" in argv:
        json.loads(out.stdout)
    for opt, value in zip(argv, argv[1:], strict=False):  # every file the command was told to write exists
        if opt in ("--out-json", "--pairs-csv", "--arcs-geojson", "--arcs-kml", "--csv", "--geojson",
                   "--contours-geojson"):
            assert (work / value).stat().st_size > 0


def test_every_option_of_every_command_is_documented() -> None:
    from depotsafe.cli import build_parser

    text = (DOCS / "cli.md").read_text()
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    missing = []
    for name, command in sub.choices.items():
        if f"depotsafe {name}" not in text:
            missing.append(f"command {name}")
        for action in command._actions:
            for opt in action.option_strings:
                if opt.startswith("--") and opt != "--help" and opt not in text:
                    missing.append(f"{name} {opt}")
    assert not missing, f"not in docs/cli.md: {missing}"


def test_worked_example_figures() -> None:
    """The numbers cli.md explains, from the formulas of AASTP-1 Annex I-A Table 1."""
    text = (DOCS / "cli.md").read_text()
    d13 = 22.2 * 20_000 ** (1 / 3)
    d11 = 14.8 * 20_000 ** (1 / 3)
    licence = (312 / 5.5) ** 2
    assert f"{d13:.1f} m" in text  # 602.6 m
    assert f"{d11:.1f} m" in text  # 401.7 m
    assert f"{int(licence):,} kg" in text  # 3,217 kg

    sample = DOCS / "examples" / "small_depot.geojson"
    out = subprocess.run([DEPOTSAFE, "check", str(sample), "--json"], capture_output=True, text=True,
                         timeout=600, check=False)
    assert out.returncode == 1, out.stderr
    result = json.loads(out.stdout)
    (violation,) = result["violations"]
    assert (violation["pes"], violation["es"], violation["rule"]) == ("IG1", "W1", "D13")
    assert violation["required_distance_m"] == pytest.approx(d13, rel=1e-9)
    assert violation["distance_m"] == pytest.approx(312.0, abs=1e-6)
    (ig1,) = (s for s in result["sites"] if s["id"] == "IG1")
    assert ig1["licence_limit_kg"]["1.1"] == pytest.approx(licence, rel=1e-9)
    assert ig1["limiting_es"]["1.1"] == "W1"
    for key in ("pairs", "violations", "sites", "groups", "summary", "notes", "provenance"):
        assert key in result, key
    for key in ("pes", "es", "hd", "relation", "rule", "rule_label", "source", "required_distance_m",
                "distance_m", "compliant"):
        assert key in violation, key
    for key in ("rule_set", "rule_data_sha256", "depotsafe_version", "input_sha256"):
        assert key in result["provenance"], key


def test_documented_layout_properties_are_accepted() -> None:
    from depotsafe.layout import read_layout

    text = (DOCS / "layout.md").read_text()
    table = text.split("## Feature properties", 1)[1].split("##", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.M)
    assert {"id", "kind", "front_bearing_deg", "traffic", "persons", "sparse", "evacuable", "name",
            "door_barricade", "stock"} <= set(documented)
    fc = json.loads((DOCS / "examples" / "small_depot.geojson").read_text())
    props = {p for f in fc["features"] for p in f["properties"]}
    assert props <= set(documented)
    values = {"door_barricade": True, "sparse": True, "evacuable": True, "persons": 12, "name": "x"}
    for prop, value in values.items():
        doc = json.loads(json.dumps(fc))
        target = "IG1" if prop == "door_barricade" else "H1"
        for f in doc["features"]:
            if f["properties"]["id"] == target:
                f["properties"][prop] = value
        read_layout(doc)  # accepted: raises with a message otherwise

    kinds_table = text.split("## Kinds", 1)[1].split("##", 1)[0]
    from depotsafe.kinds import kinds

    assert set(re.findall(r"^\| `([a-z0-9_]+)` \|", kinds_table, flags=re.M)) == set(kinds())


def test_documented_stock_fields_are_accepted() -> None:
    from depotsafe.explosives import parse_stock_entry

    text = (DOCS / "layout.md").read_text()
    table = text.split("## Stock lines", 1)[1].split("As a CSV", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)`", table, flags=re.M))
    assert {"hd", "cg", "neq", "unit_neq_kg", "form", "item"} <= documented
    line = parse_stock_entry({"item": "x", "hd": "1.6", "cg": "N", "neq": "2 t", "unit_neq_kg": 5, "form": "article"}, "doc")
    assert line.neq_kg == pytest.approx(2000.0)
    line = parse_stock_entry({"hd": "1.1", "cg": "d", "neq_kg": 500}, "doc")
    assert line.neq_kg == pytest.approx(500.0)
