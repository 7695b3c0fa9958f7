"""Fault injection against the running product (docs/faults.md)."""
