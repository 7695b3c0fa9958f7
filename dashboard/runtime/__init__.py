"""dashboard.runtime."""
