"""Bench-only no-op stand-in for `rich` (the reference imports it for verbose printing, off in the bench)."""
