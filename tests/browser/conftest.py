"""Real-browser tests: Debian chromium driven by Playwright against ``streamlit run``.

No browser is downloaded: Playwright launches /usr/bin/chromium (apt).  The
module fixture starts the packaged app on a free loopback port and stops it
after the tests.  Without chromium the tests skip, except under CI=true, where
a missing browser fails the run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("DEPOTSAFE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install '.[browser]')"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the browser tests without a browser, or fail them under CI."""
    why = _browser_missing()
    if why is None:
        return
    for item in items:
        if "browser" in item.keywords:
            if os.environ.get("CI", "").lower() == "true":
                item.fixturenames.append("_ci_needs_browser")  # type: ignore[attr-defined]
            else:
                item.add_marker(pytest.mark.skip(reason=why))


@pytest.fixture
def _ci_needs_browser() -> None:
    pytest.fail(f"CI=true but the browser test cannot run: {_browser_missing()}")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's chromium, quiet on the network."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def app_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's own workspace of saved depots (DEPOTSAFE_WORKSPACE)."""
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(autouse=True)
def _new_sessions_open_the_sample(request: pytest.FixtureRequest) -> None:
    """A new browser session reopens the depot last worked on (the workspace): each test
    starts as on a fresh install, its new sessions on the sample depot."""
    if "app_url" in request.fixturenames:
        (request.getfixturevalue("app_workspace") / "last.json").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, app_workspace: Path) -> Iterator[str]:
    """``streamlit run`` of the packaged app on loopback; yields its URL."""
    port = _free_port()
    script = str(files("depotsafe.ui").joinpath("streamlit_app.py"))
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = dict(os.environ)
    env.setdefault("DEPOTSAFE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    # a workspace of saved depots of its own (emptied of its last depot before each test)
    env["DEPOTSAFE_WORKSPACE"] = str(app_workspace)
    # As the README's first command does: compile the kernels at set-up, so the
    # first page load does not wait on the compiler (a loaded machine took > 120 s).
    warm = subprocess.run([str(Path(sys.executable).with_name("depotsafe")), "warmup"],
                          capture_output=True, text=True, env=env, timeout=900, check=False)
    assert warm.returncode == 0, warm.stderr
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script,
             "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
             "--client.toolbarMode", "minimal"],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots and timings (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def depotsafe_json() -> Callable[..., dict]:
    """Run the installed ``depotsafe`` command with ``--json``; its parsed output (the engine's answer)."""

    def run(*args: str, ok: tuple[int, ...] = (0, 1)) -> dict:
        out = subprocess.run([str(Path(sys.executable).with_name("depotsafe")), *args, "--json"],
                             capture_output=True, text=True, timeout=900, check=False)
        assert out.returncode in ok, out.stderr
        return json.loads(out.stdout)

    return run
