"""Helpers shared by the benchmarks: timing, medians, the machine's description, a plain
connection to a server engine."""
from __future__ import annotations

import os
import platform
import statistics
import time
from typing import Callable
from urllib.parse import unquote, urlsplit


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def median_us(fn: Callable[[], object], repeat: int = 2000) -> float:
    """Median wall time of one call, in microseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def header(title: str) -> None:
    print(f"# {title}\n# {time.strftime('%Y-%m-%d %H:%M')} on {machine()}")


def raw_connection(url: str, autocommit: bool = False):
    """A plain DB-API connection to `url` (psycopg2 or PyMySQL), for a baseline written by hand:
    the SKIP LOCKED loop (its own transactions), a bare endpoint's one read (autocommit)."""
    parts = urlsplit(url)
    if parts.scheme.startswith("postgres"):
        import psycopg2
        conn = psycopg2.connect(url)
        conn.autocommit = autocommit
        return conn
    import pymysql
    return pymysql.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
                           user=unquote(parts.username or "root"),
                           password=unquote(parts.password or ""),
                           database=parts.path.lstrip("/"), autocommit=autocommit)
