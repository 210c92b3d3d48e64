"""Documents as HTML (one template per document) and PDF (the same HTML typeset by WeasyPrint).

WeasyPrint lays out HTML and CSS with Debian's pango and embeds subsets of the
system's fonts: nothing is downloaded at run time, and the HTML a screen shows
is the very text the PDF prints.  Dates come from the caller (``--date``, else
``SOURCE_DATE_EPOCH``, else today in UTC), so the same inputs give the same
bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from typing import Any

from depotsafe.errors import InputError

#: Scripts a layout's names may use: (name, a character range, a representative character, the Debian package).
SCRIPTS = (
    ("Cyrillic", "\u0400-\u04ff", "\u0416", "fonts-noto-core"),
    ("Arabic", "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff", "\u0628", "fonts-hosny-amiri"),
    ("Chinese, Japanese or Korean", "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af", "\u4e2d",
     "fonts-noto-cjk"),
    ("Hebrew", "\u0590-\u05ff", "\u05d0", "fonts-noto-core"),
    ("Greek", "\u0370-\u03ff", "\u03a9", "fonts-noto-core"),
)


@cache
def font_covers(char: str) -> bool:
    """Whether some installed font (fontconfig) has a glyph for ``char``."""
    fc = shutil.which("fc-list")
    if fc is None:  # pragma: no cover - pango needs fontconfig; without it we cannot tell
        return True
    out = subprocess.run([fc, f":charset={ord(char):x}", "family"], capture_output=True, text=True, check=False)
    return bool(out.stdout.strip())


@dataclass(frozen=True)
class MissingFont:
    script: str
    package: str


def missing_fonts(text: str, covers: Any = font_covers) -> list[MissingFont]:
    """The scripts used in ``text`` that no installed font can print, with the package to install."""
    out = []
    for name, span, probe, package in SCRIPTS:
        if re.search(f"[{span}]", text) and not covers(probe):
            out.append(MissingFont(name, package))
    return out


def blank_missing(text: str, missing: list[MissingFont]) -> str:
    """Replace the characters of scripts without a font by '?' (never empty boxes)."""
    for m in missing:
        span = next(s[1] for s in SCRIPTS if s[0] == m.script)
        text = re.sub(f"[{span}]", "?", text)
    return text


def document_date(option: str | None) -> str:
    """The date a document carries: ``--date`` (YYYY-MM-DD), else SOURCE_DATE_EPOCH, else today (UTC)."""
    if option is not None:
        try:
            return dt.date.fromisoformat(option).isoformat()
        except ValueError:
            raise InputError("--date", option, "a date YYYY-MM-DD, e.g. 2026-11-28") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date().isoformat()
        except (ValueError, OverflowError, OSError):
            raise InputError("SOURCE_DATE_EPOCH", epoch, "whole seconds since 1970-01-01 UTC") from None
    return dt.datetime.now(dt.UTC).date().isoformat()


@cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("depotsafe.documents", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(template: str, context: dict[str, Any]) -> str:
    """Fill one template; characters no installed font can print become '?' and a notice says what to install."""
    html = _environment().get_template(template).render(**context)
    from depotsafe.documents.text import words

    missing = missing_fonts(html, context.get("font_check", font_covers))
    if missing:
        w = context.get("w") or words("en")
        notice = "".join(
            '<p class="font-missing">'
            + w.gettext("This document holds {script} text but no installed font can print it: install the "
                        "Debian package {package} (apt-get install {package}); those characters are shown as ?.")
            .format(script=m.script, package=m.package)
            + "</p>"
            for m in missing
        )
        html = blank_missing(html, missing).replace("<!--font-notice-->", notice, 1)
    return html


def html_to_pdf(html: str) -> bytes:
    """Typeset the HTML as PDF (WeasyPrint; fonts from the system)."""
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=html, base_url=".").write_pdf()
