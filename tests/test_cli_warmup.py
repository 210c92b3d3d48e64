"""``depotsafe warmup`` fills the one kernel cache that the app and every command use.

Run through the installed command in fresh processes with an empty cache: after
``warmup``, the commands a manager runs first (check, effects, siting, qd,
blast) compile nothing more, i.e. they add no file to the cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DEPOTSAFE = str(Path(sys.executable).with_name("depotsafe"))
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "sample_depot.geojson"


def _env(cache_base: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["DEPOTSAFE_CACHE_DIR"] = str(cache_base)
    return env


def _cache_files(cache_base: Path) -> set[str]:
    return {str(p.relative_to(cache_base)) for p in cache_base.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_warmup_fills_the_cache_the_commands_use(tmp_path: Path) -> None:
    env = _env(tmp_path)
    out = subprocess.run([DEPOTSAFE, "warmup", "--json"], capture_output=True, text=True,
                         env=env, timeout=900, check=False)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    cache_dir = Path(answer["cache_dir"])
    assert cache_dir.parent == tmp_path / "numba"  # the keyed folder of depotsafe.cache
    assert "[4/5] blast field" in out.stderr and "[5/5] explosion risk" in out.stderr  # progress is shown while it compiles
    after_warmup = _cache_files(tmp_path)
    assert any(name.endswith(".nbi") for name in after_warmup)

    commands = [
        ["check", str(SAMPLE), "--json"],
        ["effects", str(SAMPLE), "--event", "A1", "--json"],
        ["qd", "--hd", "1.1", "--neq", "20 t", "--pes", "igloo_7bar", "--pes-face", "front",
         "--es", "barricaded_stack", "--json"],
        ["blast", "--neq", "10 t", "--distance", "500 m", "--json"],
    ]
    for cmd in commands:
        run = subprocess.run([DEPOTSAFE, *cmd], capture_output=True, text=True, env=env, timeout=600, check=False)
        assert run.returncode in (0, 1), (cmd, run.stderr)
    new = _cache_files(tmp_path) - after_warmup
    assert not new, f"compiled after warmup (not in the set-up cache): {sorted(new)}"

    again = subprocess.run([DEPOTSAFE, "warmup", "--json"], capture_output=True, text=True,
                           env=env, timeout=600, check=False)
    assert again.returncode == 0
    assert _cache_files(tmp_path) == after_warmup  # a second warmup only loads
