"""The ``depotsafe`` command line.

Each command lives in its own module ``depotsafe.commands.<name>`` with two
functions: ``add_parser(subparsers)`` and ``run(args) -> int``.  Every command
takes ``--json`` and then prints one JSON object on stdout; errors go to
stderr with exit status 2 (the contract in docs/cli.md).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

from depotsafe import __version__
from depotsafe.errors import DepotsafeError, InputError

#: Command modules under depotsafe.commands, in the order --help lists them.
COMMANDS: tuple[str, ...] = ("qd", "check", "siting", "blast", "effects", "risk", "scenario", "validate", "app",
                             "warmup", "report", "licence", "batch")


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and a one-line message on bad usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Build the parser with every command that can be imported.

    Given the arguments, and when they name a command before any option, only
    that command's module is imported: each module imports what its command
    computes with (pint, numba kernels, geometry), and a check should not wait
    for the risk or effects engines to load.  ``depotsafe --help``, a
    misspelt command or an option first still see every command.
    """
    parser = _Parser(
        prog="depotsafe",
        description=(
            "Ammunition stockpile safety calculator (UN IATG). QD tables: "
            "AASTP-1 (2006) Annex I-A, as adopted by IATG 02.20."
        ),
    )
    parser.add_argument("--version", action="version", version=f"depotsafe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    first = next(iter(argv), None) if argv is not None else None
    names = (first,) if first in COMMANDS else COMMANDS
    for name in names:
        try:
            module = importlib.import_module(f"depotsafe.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"depotsafe.commands.{name}":
                continue  # command not built yet
            raise
        command = module.add_parser(sub)
        command.set_defaults(_run=module.run)
    return parser


def _positive_mb(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"got {text!r}; a number of megabytes > 0 (e.g. 250)")
    return value


def add_layer_option(parser: argparse.ArgumentParser) -> None:
    """The ``--layer`` option of the commands that read a layout (GIS files of several layers)."""
    parser.add_argument(
        "--layer", action="append", metavar="NAME",
        help="layer of a GeoPackage (or Shapefile of the layout's folder) to read as the layout; "
             "repeat it to read several as one layout (routes in their own layer); docs/layout.md",
    )


def add_max_layout_option(parser: argparse.ArgumentParser) -> None:
    """The ``--max-layout-mb`` option (and ``--layer``) of the commands that read a layout."""
    from depotsafe.layout import CLI_MAX_LAYOUT_MB

    add_layer_option(parser)
    parser.add_argument(
        "--max-layout-mb", type=_positive_mb, default=float(CLI_MAX_LAYOUT_MB), metavar="MB",
        help=f"refuse a layout or stock file larger than this, before reading it "
             f"(default {CLI_MAX_LAYOUT_MB} MB; 1 MB = 1,000,000 bytes)",
    )


def _clean(value: Any) -> Any:
    """Make a result JSON-safe: no NaN or infinity ever reaches a script."""
    if isinstance(value, float) and not math.isfinite(value):
        msg = f"internal error: non-finite number {value!r} in a result"
        raise AssertionError(msg)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def json_text(result: dict[str, Any]) -> str:
    """One JSON object as the commands print it (strict JSON: no NaN), with its final newline."""
    return json.dumps(_clean(result), indent=2, allow_nan=False) + "\n"


def print_json(result: dict[str, Any]) -> None:
    """Print one JSON object on stdout (strict JSON: no NaN)."""
    sys.stdout.write(json_text(result))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    # Before anything imports numba: the app and every command share one keyed
    # on-disk cache of compiled kernels (an explicit NUMBA_CACHE_DIR wins).
    from depotsafe.cache import configure_numba_cache

    configure_numba_cache()
    argv_given = argv
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        status: int = args._run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``depotsafe check ... | head``): stop quietly, as the
        # CPython documentation of SIGPIPE recommends (further output goes nowhere).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except InputError as exc:
        sys.stderr.write(f"depotsafe {args.command}: error: {exc}\n")
        return 2
    except DepotsafeError as exc:
        sys.stderr.write(f"depotsafe {args.command}: error: {exc}\n")
        return 2
    if argv_given is None:
        # The command itself, about to exit with its outputs written and closed: the interpreter's
        # last garbage collection would walk every object still alive (Numba's registries, the
        # depot, its results), a third of a second after a small depot's check, to free nothing
        # that exiting does not.  Frozen objects are left to it.
        import gc

        gc.freeze()
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
