"""dashboard.session."""
