"""``depotsafe app``: start the Streamlit app on the bundled sample depot.

The server always runs headless: Streamlit's own browser opening asks for an
e-mail address on the first run (a prompt that kills a start without a
terminal).  depotsafe opens the browser itself, from a small detached process
that waits until the server answers, and only where there is a display.

On POSIX the command *replaces itself* with the server (``exec``): the PID
that started ``depotsafe app`` (or ``bash scripts/run-app``, which execs it)
is the server's PID, so stopping it stops the server and frees the port;
nothing is left orphaned.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from importlib.resources import files
from typing import Any

#: Seconds the browser opener waits for the server before giving up quietly.
OPEN_TIMEOUT_S = 180.0


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``app`` command."""
    parser = subparsers.add_parser(
        "app",
        help="start the Streamlit app (opens on the bundled sample depot)",
        description=(
            "Start the depotsafe Streamlit app on this machine and open it in a browser where there "
            "is a display. The server never prompts; stop it with Ctrl+C or by stopping its PID "
            "(this command becomes the server process)."
        ),
    )
    parser.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    parser.add_argument("--address", default="localhost",
                        help="address to listen on (default localhost: this machine only; "
                             "0.0.0.0 serves the network, see the README's security note)")
    parser.add_argument("--headless", action="store_true",
                        help="do not open a browser (the default where there is no display)")
    parser.add_argument("--json", action="store_true", help="print the command that would run, as JSON, and exit")
    return parser


def streamlit_command(args: argparse.Namespace) -> list[str]:
    """The ``streamlit run`` command line for the packaged app (always headless)."""
    script = str(files("depotsafe.ui").joinpath("streamlit_app.py"))
    return [
        # depotsafe.ui.serve: Streamlit's command line, the first page's imports started at once
        sys.executable, "-m", "depotsafe.ui.serve", "run", script,
        "--server.port", str(args.port),
        "--server.address", args.address,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--client.toolbarMode", "minimal",
        # Streamlit's own server limit is in MiB: the smallest whole MiB at or above the
        # app's limit, so that the app's own check (and its message in MB) decides.
        "--server.maxUploadSize", str(max_upload_mib()),
    ]


def max_upload_mib() -> int:
    """Streamlit's server upload limit [MiB] for the app's MAX_UPLOAD_MB [MB of 10^6 bytes]."""
    from depotsafe.layout import BYTES_PER_MB, MAX_UPLOAD_MB

    return max(1, -(-MAX_UPLOAD_MB * BYTES_PER_MB // (1024 * 1024)))


def app_url(args: argparse.Namespace) -> str:
    """The address a browser on this machine opens."""
    host = args.address
    if host in ("0.0.0.0", "", "::"):
        host = "localhost"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{args.port}"


def has_display(environ: dict[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether a browser window can be opened: macOS and Windows always; elsewhere an X or Wayland display."""
    env = os.environ if environ is None else environ
    plat = sys.platform if platform is None else platform
    if plat.startswith(("darwin", "win")):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def wait_until_ready(url: str, timeout_s: float) -> bool:
    """Poll Streamlit's health endpoint until it answers ``ok`` or the time is up."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def _spawn_browser_opener(url: str) -> None:
    """A detached process that opens ``url`` once the server answers (never blocks the server)."""
    subprocess.Popen(
        [sys.executable, "-m", "depotsafe.commands.app", "--open-when-ready", url],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, close_fds=True,
    )


def run(args: argparse.Namespace) -> int:
    """Start the app: exec the server (POSIX), or run it as a child and wait (elsewhere)."""
    from depotsafe.errors import InputError

    if not 0 < args.port < 65536:
        raise InputError("port", args.port, "a port number in 1-65535")
    cmd = streamlit_command(args)
    url = app_url(args)
    open_browser = not args.headless and has_display()
    if args.json:
        from depotsafe.cli import print_json

        print_json({"command": cmd, "url": url, "open_browser": open_browser})
        return 0
    sys.stderr.write(f"depotsafe app: {url}  (Ctrl+C to stop"
                     f"{'' if open_browser else '; open the address in a browser'})\n")
    sys.stderr.flush()
    if open_browser:
        _spawn_browser_opener(url)
    if os.name == "posix":
        os.execv(sys.executable, cmd)  # no return: this process becomes the server
    try:  # pragma: no cover - Windows
        return subprocess.call(cmd)
    except KeyboardInterrupt:  # pragma: no cover
        return 0


def _open_when_ready(url: str) -> int:
    import webbrowser

    if wait_until_ready(url, OPEN_TIMEOUT_S):
        webbrowser.open(url)
        return 0
    return 1


if __name__ == "__main__":  # the detached browser opener
    if len(sys.argv) == 3 and sys.argv[1] == "--open-when-ready":
        raise SystemExit(_open_when_ready(sys.argv[2]))
    raise SystemExit(2)
