"""The README's first command as a user meets it: no terminal, then stopped by its PID.

``bash scripts/run-app`` is started in the background with no terminal (stdin
from /dev/null, its own session, no display), from an empty kernel cache.  The
test waits for the page, runs the compliance check on the sample depot in
Debian's chromium and compares the number of violations with ``depotsafe check
--json``; then it stops the app by the PID it started and finds the port free:
no Streamlit server is left orphaned, no prompt ever blocked the start.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from browser.streamlit_page import IDLE

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    """No socket listens on the port (SO_REUSEADDR: the connections the stopped server closed may
    wait in TIME_WAIT for a minute; they are no server, and a new app binds the port past them)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _expected_violations() -> int:
    sample = ROOT / "data" / "samples" / "sample_depot.geojson"
    out = subprocess.run(
        [str(Path(sys.executable).with_name("depotsafe")), "check", str(sample), "--json"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert out.returncode in (0, 1), out.stderr
    return len(json.loads(out.stdout)["violations"])


@pytest.mark.skipif(not (ROOT / "scripts" / "run-app").is_file(), reason="needs the source tree")
def test_readme_command_without_terminal_then_stop_by_pid(page, tmp_path: Path, artifacts: Path) -> None:
    from playwright.sync_api import expect

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "NUMBA_CACHE_DIR")}
    env["DEPOTSAFE_CACHE_DIR"] = str(tmp_path / "cache")  # an empty kernel cache: the cold path
    env["VENV"] = str(Path(sys.prefix))  # the environment under test (scripts/test's .venv)
    env["HOME"] = str(tmp_path / "home")  # no ~/.streamlit credentials: the e-mail prompt would show here
    (tmp_path / "home").mkdir()
    log = tmp_path / "run-app.log"
    t0 = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "run-app"), "--port", str(port), "--address", "127.0.0.1"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
            start_new_session=True, cwd=ROOT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        from depotsafe.commands.app import wait_until_ready

        ready = False
        deadline = time.monotonic() + 900  # pip install + the first compilation on a loaded 2-core machine
        while not ready and time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"scripts/run-app exited with {proc.returncode}:\n{log.read_text()}")
            ready = wait_until_ready(url, 2.0)
        assert ready, log.read_text()
        setup_s = time.perf_counter() - t0
        assert "warmup" in log.read_text()  # kernels compiled at set-up, not at the first click

        t1 = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(IDLE, timeout=120_000)
        expect(page.get_by_role("heading", name="Depot", exact=True)).to_be_visible(timeout=60_000)
        first_page_s = time.perf_counter() - t1
        page.get_by_test_id("stSidebar").get_by_text("Compliance", exact=True).click()
        page.wait_for_selector(IDLE, timeout=120_000)
        t2 = time.perf_counter()
        page.get_by_role("button", name="Run the compliance check").click()
        metric = page.get_by_test_id("stMetric").filter(has_text="Violations")
        expect(metric).to_be_visible(timeout=120_000)
        first_check_s = time.perf_counter() - t2
        shown = int(re.sub(r"\D", "", metric.get_by_test_id("stMetricValue").inner_text()))
        assert shown == _expected_violations()
        page.screenshot(path=str(artifacts / "06-started-by-run-app.png"), full_page=True)
        (artifacts / "app-start-timing.json").write_text(json.dumps({
            "setup_and_server_start_s": setup_s, "first_page_s": first_page_s,
            "first_check_click_to_result_s": first_check_s,
        }, indent=1))
        assert "email" not in log.read_text().lower()
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)  # the PID the user started: bash exec'd into the server
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail("the app did not stop on SIGTERM to the PID that started it")
    # Stopping that one PID freed the port: no orphaned server.
    deadline = time.monotonic() + 10
    while not _port_free(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _port_free(port), "port still taken after the app's PID was stopped"


def test_starting_page_opens_the_app_when_its_server_answers(page, tmp_path: Path) -> None:
    """The page `depotsafe app` opens at once: waiting while nothing listens, then the app itself."""
    from playwright.sync_api import expect

    from depotsafe.commands.app import write_starting_page

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    starting = write_starting_page(url, tmp_path)
    page.goto(starting.as_uri())
    expect(page.locator("#title")).to_have_text("Starting depotsafe…")
    time.sleep(1.5)  # nothing listens yet: the page keeps asking, and stays
    assert page.url == starting.as_uri()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("depotsafe")), "app", "--headless", "--address", "127.0.0.1",
         "--port", str(port)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=env, start_new_session=True)
    try:
        expect(page.get_by_role("heading", name="Depot", exact=True)).to_be_visible(timeout=120_000)
        assert page.url.rstrip("/") == url
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
