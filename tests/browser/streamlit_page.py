"""Driving a Streamlit page in the browser tests: one copy of the waits every test needs.

Streamlit marks its app with ``data-test-script-state``: ``notRunning`` once
the page's script has finished and the page is drawn.  A click that starts a
rerun returns before the browser has heard of it, so waiting for
``notRunning`` straight after a click can pass on the state *before* the
rerun: :func:`act` waits for the rerun to begin (briefly; a click may start
none) and then for it to end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
BUSY = "[data-testid='stApp']:not([data-test-script-state='notRunning'])"


def idle(page, timeout: float = 180_000) -> None:
    """Wait until the page's script has finished."""
    page.wait_for_selector(IDLE, timeout=timeout)


def act(page, action: Callable[[], object], *, start: float = 3_000, timeout: float = 180_000) -> None:
    """Do ``action`` (a click, a choice) and wait for the rerun it starts to finish."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    action()
    # no rerun may begin, or it may be over before the browser is asked: either is fine
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_selector(BUSY, timeout=start)
    idle(page, timeout)


def upload(page, uploader, path: Path, *, received: Callable[[], object] | None = None) -> None:
    """Give a file to a file uploader and wait until the server has it.

    A rerun under way can redraw the uploader and drop the file: try again.
    ``received`` waits until the page shows the file (by default: its name in
    the uploader).
    """
    from playwright.sync_api import expect

    def shown() -> None:
        if received is None:
            expect(uploader).to_contain_text(path.name, timeout=15_000)
        else:
            received()

    for attempt in range(3):
        idle(page)
        uploader.locator("input[type=file]").set_input_files(str(path))
        try:
            shown()
        except AssertionError:
            if attempt == 2:
                raise
        else:
            idle(page)
            return


def choose_language(page, name: str) -> None:
    """Choose the app's language in the sidebar by its name in that language."""
    box = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first
    if name in box.inner_text():
        return
    box.click()
    act(page, page.get_by_role("option", name=name, exact=True).click)
