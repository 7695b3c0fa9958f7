"""`ioc bench …` hands every argument to the benchmarks' own process (bench/, not the product)."""

from __future__ import annotations

import subprocess
import sys

from collectors.cli import bench_split


def test_only_the_bench_command_is_handed_over() -> None:
    assert bench_split(["bench", "load", "--walls", "2"]) == (None, ["load", "--walls", "2"])
    assert bench_split(["--config", "x.yaml", "bench", "--help"]) == ("x.yaml", ["--help"])
    assert bench_split(["--config=x.yaml", "bench", "store"]) == ("x.yaml", ["store"])
    assert bench_split(["collect", "--once"]) is None
    assert bench_split(["--config", "bench"]) is None  # a settings file named bench
    assert bench_split([]) is None


def test_ioc_bench_help_is_the_benchmarks_own() -> None:
    out = subprocess.run([sys.executable, "-m", "collectors.cli", "bench", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: ioc bench")
    assert "--walls" in out.stdout  # bench/load.py's arguments


def test_the_product_parser_has_no_benchmark_flag() -> None:
    out = subprocess.run([sys.executable, "-m", "collectors.cli", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert "--soak" not in out.stdout and "--walls" not in out.stdout
