"""App start-up: the keyed Numba cache directory and the ``depotsafe app`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from depotsafe import cache as runtime
from depotsafe.cli import main


def test_cache_dir_is_keyed_by_version_and_kernel_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEPOTSAFE_CACHE_DIR", str(tmp_path))
    first = runtime.numba_cache_dir()
    assert first.parent == tmp_path / "numba"
    assert first.name == f"{runtime.__version__}-{runtime.kernel_source_hash()[:16]}"
    monkeypatch.setattr(runtime, "__version__", "99.0")
    assert runtime.numba_cache_dir() != first
    monkeypatch.setattr(runtime, "kernel_source_hash", lambda: "f" * 64)
    assert runtime.numba_cache_dir().name == "99.0-" + "f" * 16


def test_kernel_hash_changes_with_any_kernel_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib.util

    real = importlib.util.find_spec("depotsafe.kernels")
    assert real is not None
    assert real.submodule_search_locations
    for p in Path(next(iter(real.submodule_search_locations))).glob("*.py"):
        (tmp_path / p.name).write_bytes(p.read_bytes())

    class Spec:
        submodule_search_locations = (str(tmp_path),)

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: Spec())
    before = runtime.kernel_source_hash()
    assert before == runtime.kernel_source_hash()
    helper = sorted(tmp_path.glob("*.py"))[-1]
    helper.write_text(helper.read_text() + "\n# changed\n")
    assert runtime.kernel_source_hash() != before


def test_configure_keeps_an_explicit_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "explicit"))
    assert runtime.configure_numba_cache() == str(tmp_path / "explicit")
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("DEPOTSAFE_CACHE_DIR", str(tmp_path / "base"))
    path = runtime.configure_numba_cache()
    assert Path(path).is_dir()
    assert Path(path).parent == tmp_path / "base" / "numba"
    import os

    assert os.environ["NUMBA_CACHE_DIR"] == path


def test_app_command_runs_the_packaged_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["app", "--port", "8765", "--headless", "--json"]) == 0
    cmd = json.loads(capsys.readouterr().out)["command"]
    script = Path(cmd[cmd.index("run") + 1])
    assert script.name == "streamlit_app.py"
    assert script.is_file()
    assert cmd[cmd.index("--server.port") + 1] == "8765"
    assert cmd[cmd.index("--server.address") + 1] == "localhost"
    assert cmd[cmd.index("--server.headless") + 1] == "true"


def test_app_server_is_always_headless_so_it_never_prompts(capsys: pytest.CaptureFixture[str]) -> None:
    """Streamlit's non-headless start asks for an e-mail address; depotsafe opens the browser itself."""
    assert main(["app", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    cmd = out["command"]
    assert cmd[cmd.index("--server.headless") + 1] == "true"
    assert out["url"] == "http://localhost:8501"
    # Streamlit's server limit (MiB) sits just above the app's 25 MB (10^6 bytes): the app's message decides.
    mib = int(cmd[cmd.index("--server.maxUploadSize") + 1])
    assert (mib - 1) * 1024 * 1024 < 25_000_000 <= mib * 1024 * 1024


def test_browser_opened_only_with_a_display() -> None:
    from depotsafe.commands.app import has_display

    assert not has_display({}, "linux")
    assert has_display({"DISPLAY": ":0"}, "linux")
    assert has_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert has_display({}, "darwin")
    assert has_display({}, "win32")


def test_app_url_for_every_address() -> None:
    import argparse

    from depotsafe.commands.app import app_url

    def url(address: str) -> str:
        return app_url(argparse.Namespace(address=address, port=8600))

    assert url("0.0.0.0") == "http://localhost:8600"
    assert url("127.0.0.1") == "http://127.0.0.1:8600"
    assert url("::1") == "http://[::1]:8600"


def test_app_json_says_no_browser_when_headless(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    assert main(["app", "--headless", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["open_browser"] is False
    assert main(["app", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["open_browser"] is True


def test_app_command_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["app", "--port", "70000", "--json"]) == 2
    assert "port: got 70000; a port number in 1-65535" in capsys.readouterr().err


def test_app_server_starts_the_first_page_set_up_with_streamlit(capsys: pytest.CaptureFixture[str]) -> None:
    """``depotsafe app`` runs Streamlit's own command line through depotsafe.ui.serve (issue 12 item 3)."""
    assert main(["app", "--headless", "--json"]) == 0
    cmd = json.loads(capsys.readouterr().out)["command"]
    assert cmd[1:4] == ["-m", "depotsafe.ui.serve", "run"]


def test_server_set_up_imports_the_first_page_and_computes_nothing() -> None:
    """The set-up thread's work in a fresh process: the Depot page's modules imported, the sample read,
    no kernel or check engine loaded (those wait until the first page is drawn)."""
    import subprocess
    import sys

    code = ("import sys, json; from depotsafe.ui import serve; serve.preload(); "
            "print(json.dumps({'preload': serve.PRELOAD, 'modules': sorted(m for m in ('pandas', 'pint', "
            "'plotly.graph_objects', 'depotsafe.ui.page_depot', 'depotsafe.check', 'depotsafe.warmup', "
            "'depotsafe.risk') if m in sys.modules)}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600)
    out = json.loads(proc.stdout)
    assert out["preload"]["error"] is None
    assert out["preload"]["seconds"] > 0
    # no pint: the sample's masses (t, kg) are read without it; the warm-up after the first page builds it
    assert out["modules"] == ["depotsafe.ui.page_depot", "pandas", "plotly.graph_objects"]


def test_a_reopened_depot_is_read_once_on_the_first_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new session reopens the saved working depot: its Depot is built once, not once more for the page."""
    from streamlit.testing.v1 import AppTest

    from depotsafe.ui import model

    app = str(Path(__file__).resolve().parents[1] / "app.py")
    first = AppTest.from_file(app, default_timeout=300).run()  # saves the sample as the working depot
    assert not first.exception, [e.message for e in first.exception]
    calls = []
    build = model.build_depot

    def counted(fc, rows):
        calls.append(1)
        return build(fc, rows)

    monkeypatch.setattr(model, "build_depot", counted)
    again = AppTest.from_file(app, default_timeout=300).run()
    assert not again.exception, [e.message for e in again.exception]
    assert again.session_state["ws_id"] == first.session_state["ws_id"]  # the saved depot, reopened
    assert len(calls) == 1
    assert any(h.value == "Depot" for h in again.header)


def test_server_set_up_waits_for_the_server_it_starts() -> None:
    """The set-up thread polls the address the ``streamlit run`` arguments give (loopback for any address)."""
    from depotsafe.ui.serve import _server_url

    def url(*args: str) -> str | None:
        return _server_url(["run", "streamlit_app.py", *args])

    assert url("--server.port", "8600", "--server.address", "127.0.0.1") == "http://127.0.0.1:8600"
    assert url("--server.port", "8600", "--server.address", "0.0.0.0") == "http://localhost:8600"
    assert url("--server.port", "8600", "--server.address", "::1") == "http://[::1]:8600"
    assert url("--server.port", "8600") == "http://localhost:8600"
    assert url() is None  # no port named: the set-up starts at once


def test_pint_cache_folder_is_per_pint_installation(tmp_path: Path) -> None:
    """pint's cache stores the definition files' paths: one folder per installation, so that a cache
    written by another environment is never loaded (it failed on every start, and every start parsed)."""
    import hashlib
    import os
    import subprocess
    import sys

    import pint

    env = {k: v for k, v in os.environ.items() if k != "DEPOTSAFE_CACHE_DIR"}
    env["DEPOTSAFE_CACHE_DIR"] = str(tmp_path)
    code = "from depotsafe.units import to_si; print(to_si('1.5 short_ton', 'mass', 'x') / 907.18474)"
    for _ in range(2):  # written, then read back
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        assert float(out.stdout) == pytest.approx(1.5, rel=1e-15)  # a short ton goes through pint
    install = hashlib.sha256(str(Path(pint.__file__).resolve().parent).encode()).hexdigest()[:16]
    assert [d.name for d in (tmp_path / "pint").iterdir()] == [install]
    assert any((tmp_path / "pint" / install).glob("*.pickle"))


def test_starting_page_names_the_app_and_asks_its_health_address(tmp_path: Path) -> None:
    """The page opened at once: the app's address as a link, the health address it asks, each
    language's words, and a message instead of waiting for ever."""
    import re

    from depotsafe.commands.app import OPEN_TIMEOUT_S, write_starting_page
    from depotsafe.ui import i18n

    page = write_starting_page("http://localhost:8765", tmp_path)
    assert page == tmp_path / "starting-8765.html"
    text = page.read_text(encoding="utf-8")
    assert '<a id="app" href="http://localhost:8765">http://localhost:8765</a>' in text
    assert 'APP = "http://localhost:8765"' in text
    assert 'APP + "/_stcore/health"' in text
    assert f"TIMEOUT_MS = {int(OPEN_TIMEOUT_S * 1000)}" in text
    for lang in i18n.LANGUAGES:  # each language's words, as its catalog (parsed whole) gives them
        cat = i18n.catalog(lang)
        title, lead, late = (cat.get(m) or m for m in i18n.STARTING_PAGE)
        assert lang == "en" or title != i18n.STARTING_PAGE[0], lang  # translated
        assert title in text, lang
        assert lead in text, lang
        assert late.format(s=180) in text, lang
    assert re.search(r"has not answered for 180 s", text)
    assert not list(tmp_path.glob("*.tmp"))  # written whole, then renamed
