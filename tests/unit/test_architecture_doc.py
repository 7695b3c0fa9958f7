"""docs/architecture.md names every module of the product and bench/, and nothing else.

A module is named by its path in backticks, from the repository root
(`metrics/store/rollups.py`). A package's `__init__.py` counts as named when the doc names
the package (`metrics/store/`) or the file itself. A folder of many like files may be named
by one pattern whose file name has a literal prefix and a `*` (`metrics/store/migrations/v*.py`);
a pattern must match at least one file."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("config", "metrics", "collectors", "dashboard", "bench")
_ROOTS = "|".join(PACKAGES)
MODULE = re.compile(rf"`((?:{_ROOTS})/(?:[A-Za-z0-9_]+/)*[A-Za-z0-9_*]+\.py)`")
PACKAGE = re.compile(rf"`((?:{_ROOTS})/(?:[A-Za-z0-9_]+/)*)`")
PATTERN_NAME = re.compile(r"[A-Za-z0-9_]+\*[A-Za-z0-9_*]*\.py")


def modules_on_disk() -> set[str]:
    """Every .py file under the five top-level folders, as a repository-relative path."""
    return {p.relative_to(ROOT).as_posix()
            for top in PACKAGES for p in (ROOT / top).rglob("*.py")
            if "__pycache__" not in p.parts}


def named_in_doc(text: str) -> tuple[set[str], set[str], set[str]]:
    """(module paths, module patterns, package folders) the doc names in backticks."""
    modules, patterns = set(), set()
    for path in MODULE.findall(text):
        (patterns if "*" in path else modules).add(path)
    return modules, patterns, set(PACKAGE.findall(text))


def matches(module: str, pattern: str) -> bool:
    """Whether a module path fits a pattern within one folder (`*` never crosses a `/`)."""
    return module.count("/") == pattern.count("/") and fnmatchcase(module, pattern)


def differences(text: str, on_disk: set[str]) -> tuple[list[str], list[str]]:
    """(modules on disk the doc does not name, names in the doc that match nothing on disk)."""
    modules, patterns, packages = named_in_doc(text)
    folders = {m.rsplit("/", 1)[0] + "/" for m in on_disk}
    bad = {p for p in patterns if not PATTERN_NAME.fullmatch(p.rsplit("/", 1)[1])
           or not any(matches(m, p) for m in on_disk)}
    stale = sorted((modules - on_disk) | bad | (packages - folders))
    covered = modules | {d + "__init__.py" for d in packages}
    covered |= {m for m in on_disk for p in patterns - bad if matches(m, p)}
    return sorted(on_disk - covered), stale


def test_architecture_doc_names_every_module_and_only_real_ones():
    missing, stale = differences(DOC.read_text(encoding="utf-8"), modules_on_disk())
    assert not missing and not stale, (
        "docs/architecture.md and the tree differ: "
        f"modules the doc does not name: {missing or 'none'}; "
        f"names in the doc with no such module or folder: {stale or 'none'}")


def test_differences_reads_names_packages_and_patterns():
    on_disk = {"metrics/store/__init__.py", "metrics/store/rollups.py",
               "metrics/store/migrations/__init__.py", "metrics/store/migrations/v01_base.py",
               "metrics/store/migrations/v02_polls.py", "config/scope.py"}
    text = ("| `metrics/store/rollups.py` | roll-ups |\n"
            "| `metrics/store/migrations/v*.py` | one file per version |\n"
            "## `metrics/store/migrations/`\n")
    missing, stale = differences(text, on_disk)
    assert missing == ["config/scope.py", "metrics/store/__init__.py"]
    assert stale == []
    missing, stale = differences(text + "`config/gone.py` `config/x*.py` `*.py`", on_disk)
    assert stale == ["config/gone.py", "config/x*.py"]
