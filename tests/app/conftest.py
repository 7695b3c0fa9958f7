"""Page tests run without sign-in (`dashboard.auth: none`) unless a test asks for it.

The page tests written before sign-in existed test what a page shows; sign-in,
roles and scope have their own tests (test_auth_pages.py), which set
IOC_DASHBOARD__AUTH=local themselves (monkeypatch.setenv after this fixture).
A page that computes ahead starts its database's refresher thread; each test's refreshers
are stopped when it ends, so none computes against a later test's store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from config.loader import DEFAULT_CONFIG
from dashboard.loaders import ahead
from tests.fixtures.pages import TIMEOUT_S, open_page


@pytest.fixture(autouse=True)
def _no_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_DASHBOARD__AUTH", "none")


@pytest.fixture(autouse=True)
def _stop_refreshers() -> Iterator[None]:
    yield
    ahead.refresher.clear()  # each refresher's thread stops (its on_release)


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """A factory: the page at `path` (None: the wall) of the dashboard reading the store at
    `url` with the settings file `config` (as `role`, when given) and `query` in its
    address, run (`tests.fixtures.pages.open_page`)."""

    def make(url: str, path: str | None = None, /, *, config: Path = DEFAULT_CONFIG,
             role: str | None = None, timeout_s: float = TIMEOUT_S, **query: str) -> AppTest:
        monkeypatch.setenv("IOC_DB_URL", url)
        monkeypatch.setenv("IOC_CONFIG", str(config))
        if role is not None:
            monkeypatch.setenv("IOC_DASHBOARD__ROLE", role)
        return open_page(path, timeout_s=timeout_s, **query)

    return make
