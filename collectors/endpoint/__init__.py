"""collectors.endpoint."""
