"""Writing: each cycle handed to the store, or spooled to disk, or recorded as dropped."""
