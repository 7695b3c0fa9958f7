"""Alerting: pure life cycle, the engine (shell), actions, the `ioc alerts` command."""
