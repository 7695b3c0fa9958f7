"""The other `ioc` commands (check-config, dashboard, health, backfill, demo) and their helpers."""
