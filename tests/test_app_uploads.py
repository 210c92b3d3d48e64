"""Hostile uploads in the app (issue 16 item 8): a message, never a traceback.

Each bad file is loaded through the page (the paste box, which takes the same
path as the uploader) and must end in an error message on the page, with the
depot that was there before kept and the app without an exception, within a
time bound.  The message is whatever depotsafe's readers say (they are being
made stricter; the tests ask only for a message naming the problem or the
file).  Upload names, the size limit and unexpected errors are tested on the
model layer and the page.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from depotsafe.errors import DepotsafeError, InputError
from depotsafe.ui import model

APP = Path(__file__).resolve().parents[1] / "app.py"
UNCHANGED = "The file was not loaded; the depot on the page is unchanged."
SAMPLE = "sample_depot.geojson: 20 sites"


def _sample_fc() -> dict:
    return json.loads(model.sample_layout_bytes())


def _with(change) -> str:
    fc = _sample_fc()
    change(fc["features"][0]["properties"])
    return json.dumps(fc)


def _stock(neq: str):
    def change(props: dict) -> None:
        props["stock"] = [{"item": "x", "hd": "1.1", "cg": "D", "neq": neq}]

    return change


NESTED = '{"type": "FeatureCollection", "features": ' + "[" * 100_000 + "]" * 100_000 + "}"
HUGE_INT = _with(lambda p: p.__setitem__("persons", 10**400))
MANY_DIGITS = _with(lambda p: None).replace('"front_bearing_deg": 0.0', '"front_bearing_deg": ' + "7" * 5000, 1)
LIST_KIND = _with(lambda p: p.__setitem__("kind", ["igloo_7bar"]))
POWER_STOCK = _with(_stock("9**9**9 kg"))
LONG_STOCK = _with(_stock("5" * 200_000 + " kg"))
OVERFLOW_STOCK = _with(_stock("2**2**2**2**2 kg"))
BAD_CODE_STOCK = _with(lambda p: p.__setitem__("stock", [{"hd": "1.1", "cg": "H", "neq": "5 t"}]))

BAD = {
    "nested 100,000 deep": NESTED,
    "integer 10**400": HUGE_INT,
    "integer of 5,000 digits": MANY_DIGITS,
    "list-valued kind": LIST_KIND,
    "stock 9**9**9 kg": POWER_STOCK,
    "stock of 200,000 characters": LONG_STOCK,
    "stock 2**2**2**2**2 kg": OVERFLOW_STOCK,
    "stock 1.1H": BAD_CODE_STOCK,
}


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=180).run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def _texts(at: AppTest) -> str:
    parts = [e.value for e in at.error] + [e.value for e in at.success] + [e.value for e in at.caption]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("name", list(BAD))
def test_bad_upload_gives_a_message_and_keeps_the_depot(at: AppTest, name: str) -> None:
    at.text_area(key="k_pasted").input(BAD[name]).run()
    t0 = time.perf_counter()
    at.button(key="load_pasted").click().run(timeout=60)
    elapsed = time.perf_counter() - t0
    assert not at.exception, [e.message for e in at.exception]
    errors = "\n".join(e.value for e in at.error)
    assert UNCHANGED in errors
    assert "Traceback" not in errors
    assert 'File "' not in errors
    assert SAMPLE in _texts(at)
    assert elapsed < 20.0, elapsed
    # the kept depot is still checked as before
    at.sidebar.radio(key="k_page").set_value("compliance").run()
    assert not at.exception


def test_inline_stock_is_read_at_upload() -> None:
    # The page used to find a bad stock line only when it drew the verdicts.
    with pytest.raises(DepotsafeError, match=r"A1\.stock\[0\]"):
        model.read_uploaded(BAD_CODE_STOCK.encode(), "depot.geojson")
    t0 = time.perf_counter()
    with pytest.raises(DepotsafeError, match=r"A1\.stock\[0\]\.neq"):
        model.read_uploaded(POWER_STOCK.encode(), "depot.geojson")
    assert time.perf_counter() - t0 < 5.0


def test_edited_stock_row_with_an_expression_is_refused_quickly() -> None:
    fc, rows = model.split_stock(_sample_fc())
    rows[0] = {**rows[0], "quantity": "9**9**9 kg"}
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="stock row 1 quantity"):
        model.build_depot(fc, rows)
    assert time.perf_counter() - t0 < 5.0


def test_messages_name_the_users_files_not_the_server_paths() -> None:
    fc = _sample_fc()
    for bad_layout, stock in [
        (b"{ not json", None),
        (json.dumps(fc).encode(), b"a,b\n1,2\n"),
        (LIST_KIND.encode().replace(b'["igloo_7bar"]', b'"castle"'), None),
    ]:
        with pytest.raises(DepotsafeError) as err:
            model.read_uploaded(bad_layout, "my depot.geojson", stock, "my stock.csv")
        text = str(err.value)
        assert "/tmp" not in text
        assert "depotsafe-upload" not in text
        if b"castle" not in bad_layout:  # a file-level problem names the file
            assert "my depot.geojson" in text or "my stock.csv" in text, text


def test_stock_csv_with_an_over_long_field() -> None:
    stock = model.sample_stock_bytes().decode().splitlines()
    stock[1] = stock[1].replace("155 mm HE shell", "x" * 200_000)
    with pytest.raises(DepotsafeError, match=r"my stock\.csv") as err:
        model.read_uploaded(model.sample_layout_bytes(), "d.geojson",
                            "\n".join(stock).encode(), "my stock.csv")
    assert "field" in str(err.value)


def test_stock_csv_with_an_expression_is_refused_quickly() -> None:
    stock = model.sample_stock_bytes().decode().replace("10 t", "9**9**9 kg", 1)
    t0 = time.perf_counter()
    with pytest.raises(DepotsafeError, match=r"my stock\.csv"):
        model.read_uploaded(model.sample_layout_bytes(), "d.geojson", stock.encode(), "my stock.csv")
    assert time.perf_counter() - t0 < 5.0


def test_one_size_limit_stated_the_same_everywhere(at: AppTest) -> None:
    assert model.MAX_UPLOAD_MB == 25
    assert model.MAX_UPLOAD_BYTES == 25 * 1_000_000
    model.check_size(b" " * model.MAX_UPLOAD_BYTES, "layout file x")  # exactly the limit: accepted
    with pytest.raises(InputError, match=r"at most 25 MB \(1 MB = 1,000,000 bytes") as err:
        model.check_size(b" " * (model.MAX_UPLOAD_BYTES + 1), "layout file x")
    assert "26" not in str(err.value)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "25 MB" in readme
    assert "26 MB" not in readme
    # the uploader widgets state the same limit (not Streamlit's 200 MB default)
    uploaders = list(at.get("file_uploader"))
    assert len(uploaders) == 3  # layout, stock, mapping file (DXF)
    for up in uploaders:
        assert up.proto.max_upload_size_mb == model.MAX_UPLOAD_MB


def test_unexpected_error_is_logged_not_shown(at: AppTest, monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    def boom(*_a, **_k):
        raise RuntimeError("internal detail /srv/secret/path")

    monkeypatch.setattr(model, "read_uploaded", boom)
    at.text_area(key="k_pasted").input("{}").run()
    with caplog.at_level(logging.ERROR):
        at.button(key="load_pasted").click().run()
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    assert UNCHANGED in errors
    assert "pasted.geojson" in errors
    assert "secret" not in errors
    assert "RuntimeError" not in errors
    assert SAMPLE in _texts(at)
    assert any("secret" in (r.exc_text or "") or "pasted.geojson" in r.getMessage()
               for r in caplog.records)
