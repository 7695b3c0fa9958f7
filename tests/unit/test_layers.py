"""The import direction: every import-linter contract of pyproject.toml ([tool.importlinter])
holds over the whole import graph, function-level imports included.

Bottom to top: config → metrics → collectors | dashboard (independent) → bench, and no
product package imports the benchmarks. A broken contract fails with its import chains.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.api import read_configuration
from importlinter.application import output
from importlinter.application.use_cases import lint_imports

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
CONTRACTS = [c["id"] for c in read_configuration(str(PYPROJECT))["contracts_options"]]


def test_pyproject_declares_the_product_layers():
    assert {"layers", "no-bench", "metrics-layers"} <= set(CONTRACTS)


@pytest.mark.parametrize("contract", CONTRACTS)
def test_imports_keep_contract(contract: str):
    with output.console.capture() as report:
        kept = lint_imports(config_filename=str(PYPROJECT), limit_to_contracts=(contract,),
                            cache_dir=None, no_logo=True)
    assert kept, f"pyproject.toml contract {contract!r} is broken:\n{report.get()}"
