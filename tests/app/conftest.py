"""Page tests run without sign-in (`dashboard.session.auth: none`) unless a test asks for it.

The page tests written before sign-in existed test what a page shows; sign-in,
roles and scope have their own tests (test_auth_pages.py), which set
IOC_DASHBOARD__AUTH=local themselves (monkeypatch.setenv after this fixture).
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_DASHBOARD__AUTH", "none")
