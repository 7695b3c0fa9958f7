"""The simulated fleet: any set of centres served over HTTP, deterministic for a seed."""
