"""The database seam: one small class per engine, chosen from a URL.

Everything above this package speaks one SQL dialect with `?` placeholders and calls the same few
methods; what differs between SQLite, PostgreSQL and MariaDB (types, locks, upserts, retryable
errors, the clock) is overridden in that engine's class and nowhere else.
"""
from .base import Database
from .url import connect, redact_url

__all__ = ["Database", "connect", "redact_url"]
