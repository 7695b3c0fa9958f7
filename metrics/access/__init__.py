"""metrics.access."""
