"""`python -m bench …`, which `ioc bench …` runs (bench/cli.py)."""

import sys

from bench.cli import main

sys.exit(main())
