"""No-op stand-in (bench only)."""
from rich._noop import *  # noqa: F401,F403
