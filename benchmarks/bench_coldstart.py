"""The cold path a new user meets: set-up compilation, first page, first check.

Run: ``python benchmarks/bench_coldstart.py [--no-browser]``

From an empty kernel cache (a fresh ``DEPOTSAFE_CACHE_DIR``; ``NUMBA_CACHE_DIR``
unset so that the real cache of ``depotsafe.cache`` is used), measured as
whole processes with the installed ``depotsafe`` command:

1. ``depotsafe warmup`` cold (the compilation that the README's first command
   does at set-up) and again (loading the cache);
2. the first ``depotsafe check`` of the sample depot after set-up, and the same
   without set-up (what a user waited before: the check compiled its kernels);
3. the app after set-up (``depotsafe app --headless``, the browser started with it on
   the starting page that ``depotsafe app`` opens where there is a display): server start to the first
   page drawn in Debian's chromium (the "Depot" heading and its map), then the
   click on "Run the compliance check" to the violations on the page; and the
   same first page from an empty cache, for comparison.

Targets (issue 12): first page under 10 s and first check under 3 s after set-up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples" / "sample_depot.geojson"
DEPOTSAFE = str(Path(sys.executable).with_name("depotsafe"))
CHROMIUM = "/usr/bin/chromium"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def _env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["DEPOTSAFE_CACHE_DIR"] = str(cache)
    return env


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _app(env: dict[str, str], check: bool) -> tuple[float, float | None]:
    """Seconds from server start to the first page drawn; and click-to-result of the first check."""
    from depotsafe.commands.app import write_starting_page

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        starting = write_starting_page(url, Path(tmp))  # what `depotsafe app` opens where there is a display
        t0 = time.perf_counter()
        server = subprocess.Popen([DEPOTSAFE, "app", "--headless", "--address", "127.0.0.1", "--port", str(port)],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env=env)
        try:
            return _browse(starting, url, t0, check)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _browse(starting: Path, url: str, t0: float, check: bool) -> tuple[float, float | None]:
    """The browser started with the server, on the starting page, as `depotsafe app` opens it."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.goto(starting.as_uri())
        page.wait_for_url(url + "/", timeout=300_000)
        page.wait_for_selector(IDLE, timeout=300_000)
        expect(page.get_by_role("heading", name="Depot", exact=True)).to_be_visible(timeout=300_000)
        expect(page.locator("[data-testid='stPlotlyChart'] .main-svg").first).to_be_visible(timeout=300_000)
        first_page = time.perf_counter() - t0
        first_check = None
        if check:
            page.get_by_test_id("stSidebar").get_by_text("Compliance", exact=True).click()
            page.wait_for_selector(IDLE, timeout=300_000)
            t1 = time.perf_counter()
            page.get_by_role("button", name="Run the compliance check").click()
            metric = page.get_by_test_id("stMetric").filter(has_text="Violations")
            expect(metric).to_be_visible(timeout=300_000)
            first_check = time.perf_counter() - t1
        browser.close()
    return first_page, first_check


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-browser", action="store_true", help="skip the app measurements")
    args = ap.parse_args()
    browser = not args.no_browser and Path(CHROMIUM).exists()
    rows: list[tuple[str, str, str]] = []
    base = Path(tempfile.mkdtemp(prefix="depotsafe-coldstart-"))
    try:
        setup = base / "setup"
        env = _env(setup)
        cold_warmup = _timed([DEPOTSAFE, "warmup"], env)
        rows.append(("`depotsafe warmup`, empty cache (set-up)", f"{cold_warmup:.1f}", "once per install or upgrade"))
        rows.append(("`depotsafe warmup` again (cache loaded)", f"{_timed([DEPOTSAFE, 'warmup'], env):.1f}", ""))
        first_check = _timed([DEPOTSAFE, "check", str(SAMPLE), "--json"], env)
        rows.append(("first `depotsafe check` of the sample, after set-up", f"{first_check:.1f}", "target < 3 s"))
        no_setup = _timed([DEPOTSAFE, "check", str(SAMPLE), "--json"], _env(base / "none"))
        rows.append(("first `depotsafe check` of the sample, no set-up", f"{no_setup:.1f}",
                     f"{no_setup / first_check:.1f}x the time after set-up"))
        if browser:
            page_s, check_s = _app(env, check=True)
            rows.append(("app after set-up: server start to first page drawn", f"{page_s:.1f}", "target < 10 s"))
            rows.append(("app after set-up: first check, click to result", f"{check_s:.1f}", "target < 3 s"))
            cold_page, _ = _app(_env(base / "cold-app"), check=False)
            rows.append(("app, empty cache: server start to first page drawn", f"{cold_page:.1f}",
                         f"{cold_page / page_s:.1f}x the time after set-up"))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"Whole processes from an empty kernel cache; {os.cpu_count()} CPUs, "
          f"load average at start {os.getloadavg()[0]:.1f}.")
    print()
    print("| step | seconds | note |")
    print("|---|---|---|")
    for step, secs, note in rows:
        print(f"| {step} | {secs} | {note} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
