"""The dashboard's pages: one thin script each, no SQL (data comes from `dashboard.loaders`)."""
