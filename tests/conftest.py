"""Shared test configuration."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Kernels compile on first call; no hypothesis deadline may absorb that.
settings.register_profile(
    "depotsafe",
    deadline=None,
    max_examples=int(os.environ.get("DEPOTSAFE_HYPOTHESIS_EXAMPLES", "150")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("depotsafe")


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_workspace(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets an empty workspace of saved depots (the app's DEPOTSAFE_WORKSPACE),
    never the user's: a test that loads a depot must not reopen in the next one."""
    monkeypatch.setenv("DEPOTSAFE_WORKSPACE", str(tmp_path_factory.mktemp("workspace")))


@pytest.fixture(scope="module")
def bare_layout(tmp_path_factory: pytest.TempPathFactory):
    """The installed sample depot without its inline stock (the stock then comes from its CSV)."""
    import json
    from importlib.resources import files
    from pathlib import Path

    sample = Path(str(files("depotsafe.data").joinpath("samples", "sample_depot.geojson")))
    doc = json.loads(sample.read_text(encoding="utf-8"))
    for f in doc["features"]:
        f["properties"].pop("stock", None)
    p = tmp_path_factory.mktemp("layout") / "bare.geojson"
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p
