"""dashboard.widgets."""
