"""Shared helpers of the ``--lang`` tests: the installed ``depotsafe`` command and the command line's catalogs.

One cached runner, so that the tests of the readable output in every language
(tests/test_cli_lang.py, tests/test_i18n_reasons.py) run each command line once
per session.  Nothing here asserts a value of our own: the expected words are
read from the catalogs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

from depotsafe.ui import i18n

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = str(ROOT / "data" / "samples" / "sample_depot.geojson")
LOCALE = Path(i18n.__file__).parent / "locale"


@cache
def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """``depotsafe *argv`` through the installed command (the venv's, else the one on PATH), once per session."""
    exe = Path(sys.executable).with_name("depotsafe")
    cmd = [str(exe)] if exe.exists() else [shutil.which("depotsafe") or "depotsafe"]
    return subprocess.run([*cmd, *argv], capture_output=True, text=True, timeout=900, check=False)


def cli_po(lang: str) -> dict[str, str]:
    """The command line's own catalog of ``lang`` (ui/locale/<lang>/LC_MESSAGES/cli.po)."""
    return i18n.parse_po((LOCALE / lang / "LC_MESSAGES" / "cli.po").read_text(encoding="utf-8"))


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def per_year_reference(value: float, lang: str) -> str:
    """A rate as the app and the readable output write it, "9.55 × 10⁻⁶", built the obvious way: the mantissa
    and exponent of Python's ``.2e`` ("9.55e-06"), the decimal sign of ``lang`` from CLDR (Babel, Western
    digits), the exponent in superscript digits."""
    from babel.numbers import format_decimal

    mantissa, exponent = f"{value:.2e}".split("e")
    decimal = format_decimal(1.5, locale=lang, numbering_system="latn")[1]
    return mantissa.replace(".", decimal) + " × 10" + str(int(exponent)).translate(_SUPERSCRIPT)
