"""Regenerate the example documents of docs/examples from the bundled sample depot.

    python -m depotsafe.documents.examples docs/examples

writes ``sample_depot_report.{html,pdf}`` and ``sample_depot_licence_A1.{html,pdf}``, dated
:data:`EXAMPLE_DATE` so that they only change when depotsafe's figures or wording do
(tests/test_documents_examples.py checks that the committed ones are current).
"""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

EXAMPLE_DATE = "2026-01-01"
LAYOUT = "sample_depot.geojson"
LICENCE_SITE = "A1"


def build() -> dict[str, bytes]:
    """The example files, by name."""
    from depotsafe import documents
    from depotsafe.check import check_depot
    from depotsafe.layout import read_layout

    path = Path(str(files("depotsafe.data").joinpath("samples", LAYOUT)))
    result = check_depot(read_layout(path), "iatg")
    effects = documents.worst_effects(result, str(path))
    rep = documents.report(result, date=EXAMPLE_DATE, layout_name=LAYOUT, effects=effects,
                           risk=documents.depot_risk(result))
    lic = documents.licence(result, LICENCE_SITE, date=EXAMPLE_DATE, layout_name=LAYOUT)
    return {
        "sample_depot_report.html": rep.html.encode("utf-8"),
        "sample_depot_report.pdf": rep.pdf(),
        f"sample_depot_licence_{LICENCE_SITE}.html": lic.html.encode("utf-8"),
        f"sample_depot_licence_{LICENCE_SITE}.pdf": lic.pdf(),
    }


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else "docs/examples")
    for name, data in build().items():
        (folder / name).write_bytes(data)
        sys.stdout.write(f"wrote {folder / name}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
