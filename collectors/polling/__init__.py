"""Polling: fetching, confirming and scheduling polls, and which centres this collector polls."""
