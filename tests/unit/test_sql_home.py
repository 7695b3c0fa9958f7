"""Every SQL statement of the product lives in metrics/store/: no other product module
imports SQLAlchemy (a page never does), checked over the source's syntax trees, so a
function-level import counts too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("dashboard", "collectors", "metrics", "config")
HOME = Path("metrics/store")
# Modules outside metrics/store that still import SQLAlchemy, each with its reason.
EXCEPTIONS: dict[str, str] = {
    # config sits below the store (config → metrics): it checks the database URL's form at
    # load with SQLAlchemy's URL parser and cannot ask metrics/store to do it.
    "config/settings.py": "validates store.url with sqlalchemy.engine.make_url",
}


def modules() -> list[Path]:
    """Every product module, relative to the repository root."""
    return sorted(p.relative_to(ROOT) for top in PRODUCT for p in (ROOT / top).rglob("*.py"))


def imports_sqlalchemy(path: Path) -> list[int]:
    """The lines of `path` that import sqlalchemy (or one of its modules)."""
    lines = []
    for node in ast.walk(ast.parse((ROOT / path).read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(n == "sqlalchemy" or n.startswith("sqlalchemy.") for n in names):
            lines.append(node.lineno)
    return lines


def test_only_the_store_imports_sqlalchemy():
    found = {str(p): lines for p in modules() if HOME not in p.parents
             and (lines := imports_sqlalchemy(p))}
    unexpected = {p: lines for p, lines in found.items() if p not in EXCEPTIONS}
    assert not unexpected, ("SQL belongs in metrics/store/; these modules import "
                            f"SQLAlchemy (path: lines): {unexpected}")


def test_every_exception_still_needs_its_place():
    stale = [p for p in EXCEPTIONS if not (ROOT / p).exists()
             or not imports_sqlalchemy(Path(p))]
    assert not stale, f"no longer import SQLAlchemy, drop from EXCEPTIONS: {stale}"


def test_the_walk_sees_the_store_and_a_page():
    """The check looks where it should: the store imports SQLAlchemy, a page does not."""
    paths = set(modules())
    assert Path("metrics/store/schema.py") in paths
    assert imports_sqlalchemy(Path("metrics/store/schema.py"))
    assert Path("dashboard/app_pages/wall.py") in paths
    assert not imports_sqlalchemy(Path("dashboard/app_pages/wall.py"))
