"""Hostile and extreme input through the command line (issue 16): named regressions and fuzzing.

Every case of the issue is a named test below.  The property-based part
generates layouts, stock lines, quantities and stock CSV files and asserts,
for every input: exit status 0, 1 or 2; no traceback; on exit 2 a message on
stderr naming a field; no output file changed when the run fails.  It calls the
command line's ``main()`` in-process; the few end-to-end cases (pipes, memory
and time bounds) run the installed command in a subprocess with resource
limits.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import stat
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depotsafe.cli import main

SAMPLES = resources.files("depotsafe.data").joinpath("samples")
SAMPLE = Path(str(SAMPLES.joinpath("sample_depot.geojson")))
SAMPLE_STOCK = Path(str(SAMPLES.joinpath("sample_depot_stock.csv")))
QD = ["qd", "--hd", "1.1", "--pes", "igloo_7bar", "--pes-face", "front", "--es", "inhabited_building"]


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run main() in-process: (status, stdout, stderr); a traceback fails the test."""
    status = main(list(argv))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    assert status in (0, 1, 2), (status, out.err)
    if status == 2:
        assert re.search(r"error: \S", out.err), out.err
    return status, out.out, out.err


def refused(capsys, message: str, *argv: str) -> str:
    status, out, err = cli(capsys, *argv)
    assert status == 2, (out, err)
    assert re.search(message, err), err
    return err


def sample_fc() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def write_fc(path: Path, fc: dict) -> Path:
    path.write_text(json.dumps(fc), encoding="utf-8")
    return path


# ---------------------------------------------------------------- item 3: qd unit NEQ


def test_qd_unit_neq_larger_than_neq_is_refused(capsys):
    refused(capsys, r"unit-neq: got '30 t'; the NEQ of one munition cannot exceed the NEQ \(10000 kg\)",
            *QD, "--neq", "10 t", "--unit-neq", "30 t")
    status, _, _ = cli(capsys, *QD, "--neq", "10 t", "--unit-neq", "10 t")
    assert status == 0
