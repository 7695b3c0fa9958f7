"""The product's benchmarks (`ioc bench …`, `make bench`): outside the product, which never
imports them; figures in docs/benchmarks.md."""
