"""The example documents in docs/examples are current (regenerate: python -m depotsafe.documents.examples docs/examples)."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_documents import flat, pdf_text

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


@pytest.fixture(scope="module")
def built() -> dict[str, bytes]:
    from depotsafe.documents.examples import build

    return build()


def test_examples_are_current(built: dict[str, bytes]) -> None:
    for name, data in built.items():
        committed = (EXAMPLES / name).read_bytes()
        if name.endswith(".html"):
            # the whole document, byte for byte
            assert committed == data, f"{name} is stale: python -m depotsafe.documents.examples docs/examples"
        else:
            # the PDF's bytes depend on the installed fonts and WeasyPrint; its text must not
            assert flat(pdf_text(committed)) == flat(pdf_text(data)), f"{name} is stale"
