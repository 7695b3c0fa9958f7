"""dashboard.loaders."""
