"""``depotsafe app``: start the Streamlit app on the bundled sample depot.

The server always runs headless: Streamlit's own browser opening asks for an
e-mail address on the first run (a prompt that kills a start without a
terminal).  depotsafe opens the browser itself, only where there is a display,
from a small detached process, at once: on a local starting page that opens
the app as soon as the server answers (the browser starts while the server
does).

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
from pathlib import Path
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
    """A detached process that opens the browser on the starting page of ``url`` (never blocks the server)."""
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


def starting_texts(timeout_s: float = OPEN_TIMEOUT_S) -> dict[str, list[str]]:
    """The starting page's words in every language of the app, from its catalogs (depotsafe.po): the title,
    the line before the address, and what it says after ``timeout_s`` (depotsafe.ui.i18n.STARTING_PAGE).

    Read with :func:`depotsafe.ui.i18n.lookup` (a find in each catalog's text, not a parse of it): the
    browser opener writes this page while the server starts, and must not wait."""
    from depotsafe.ui.i18n import LANGUAGES, STARTING_PAGE, lookup

    out: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        words = lookup(lang, STARTING_PAGE) if lang != "en" else {}
        title, lead, late = (words.get(m, m) for m in STARTING_PAGE)
        out[lang] = [title, lead, late.format(s=int(timeout_s))]
    return out


def starting_page_html(url: str, timeout_s: float = OPEN_TIMEOUT_S) -> str:
    """A page that says the app is starting and opens ``url`` as soon as its server answers.

    The browser is opened on it at once, so that the browser starts while the
    server does (issue 12: the first page in seconds): the page asks the
    server's health address every 0.3 s (a no-cors request: it resolves once
    anything answers, and fails while nothing listens) and then replaces
    itself with the app.  After ``timeout_s`` it says where to look instead.
    """
    import html
    import json as _json

    from depotsafe.ui.i18n import RTL_LANGUAGES

    words = starting_texts(timeout_s)
    texts = _json.dumps(words, ensure_ascii=False).replace("<", "\\u003c")  # no "</script>" from a catalog
    rtl = _json.dumps(sorted(RTL_LANGUAGES))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>depotsafe</title>
<style>body{{font-family:sans-serif;margin:15vh auto;max-width:40em;color:#31333f;text-align:center}}
.spin{{width:2.5em;height:2.5em;margin:2em auto;border:.3em solid #ddd;border-top-color:#ff4b4b;border-radius:50%;
animation:r 1s linear infinite}}@keyframes r{{to{{transform:rotate(360deg)}}}}</style></head>
<body><h1 id="title">{html.escape(words["en"][0])}</h1><div class="spin" id="spin"></div>
<p><span id="lead">{html.escape(words["en"][1])}</span> <a id="app" href="{html.escape(url)}">{html.escape(url)}</a></p>
<p id="late" hidden></p>
<script>
const APP = {_json.dumps(url)}, TEXTS = {texts}, TIMEOUT_MS = {int(timeout_s * 1000)}, t0 = Date.now();
const lang = (navigator.language || "en").slice(0, 2), t = TEXTS[lang] || TEXTS.en;
if ({rtl}.includes(lang)) document.documentElement.dir = "rtl";
document.documentElement.lang = TEXTS[lang] ? lang : "en";
document.getElementById("title").textContent = t[0];
document.getElementById("lead").textContent = t[1];
function probe() {{
  fetch(APP + "/_stcore/health", {{mode: "no-cors", cache: "no-store"}})
    .then(() => location.replace(APP))
    .catch(() => {{
      if (Date.now() - t0 < TIMEOUT_MS) {{ setTimeout(probe, 300); return; }}
      document.getElementById("spin").hidden = true;
      const late = document.getElementById("late");
      late.textContent = t[2];
      late.hidden = false;
    }});
}}
probe();
</script></body></html>
"""


def write_starting_page(url: str, directory: Path | None = None) -> Path:
    """Write :func:`starting_page_html` for ``url`` into the user's depotsafe cache; its path."""
    from urllib.parse import urlsplit

    if directory is None:
        from depotsafe.cache import cache_base

        directory = cache_base() / "app"
    directory.mkdir(parents=True, exist_ok=True)
    port = urlsplit(url).port or 80
    path = directory / f"starting-{port}.html"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(starting_page_html(url), encoding="utf-8")
    os.replace(tmp, path)
    return path


def _open_when_ready(url: str) -> int:
    """Open the browser at once on the starting page (it opens the app when the server answers);
    where that page cannot be written, wait for the server and open the app itself."""
    import webbrowser

    try:
        page = write_starting_page(url)
    except OSError:
        page = None
    if page is not None and webbrowser.open(page.as_uri()):
        return 0
    if wait_until_ready(url, OPEN_TIMEOUT_S):
        webbrowser.open(url)
        return 0
    return 1


if __name__ == "__main__":  # the detached browser opener
    if len(sys.argv) == 3 and sys.argv[1] == "--open-when-ready":
        raise SystemExit(_open_when_ready(sys.argv[2]))
    raise SystemExit(2)
