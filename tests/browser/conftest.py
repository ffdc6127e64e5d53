"""What every browser journey shares."""

import pytest
from playwright.sync_api import Page


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Errors the page logs (a CSP violation, a failed script) — journeys assert there are none."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors
