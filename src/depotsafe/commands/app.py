"""``depotsafe app``: start the Streamlit app on the bundled sample depot."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from importlib.resources import files
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``app`` command."""
    parser = subparsers.add_parser(
        "app",
        help="start the Streamlit app (opens on the bundled sample depot)",
        description="Start the depotsafe Streamlit app on this machine; open the printed address in a browser.",
    )
    parser.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    parser.add_argument("--address", default="localhost",
                        help="address to listen on (default localhost: this machine only)")
    parser.add_argument("--headless", action="store_true", help="do not open a browser")
    parser.add_argument("--json", action="store_true", help="print the command that would run, as JSON, and exit")
    return parser


def streamlit_command(args: argparse.Namespace) -> list[str]:
    """The ``streamlit run`` command line for the packaged app."""
    script = str(files("depotsafe.ui").joinpath("streamlit_app.py"))
    return [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.port", str(args.port),
        "--server.address", args.address,
        "--server.headless", "true" if args.headless else "false",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--client.toolbarMode", "minimal",
    ]


def run(args: argparse.Namespace) -> int:
    """Start the app and wait for it."""
    from depotsafe.errors import InputError

    if not 0 < args.port < 65536:
        raise InputError("port", args.port, "a port number in 1-65535")
    cmd = streamlit_command(args)
    if args.json:
        from depotsafe.cli import print_json

        print_json({"command": cmd})
        return 0
    env = dict(os.environ)
    sys.stderr.write(f"depotsafe app: http://{args.address}:{args.port}  (Ctrl+C to stop)\n")
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0
