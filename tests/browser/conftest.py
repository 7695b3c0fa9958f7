"""Browser tests run without sign-in (`dashboard.auth: none`) unless a test asks for it.

The browser tests written before sign-in existed test what a page shows; sign-in has its
own test (test_signin_browser.py), which passes IOC_DASHBOARD__AUTH=local to its dashboard.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_DASHBOARD__AUTH", "none")
