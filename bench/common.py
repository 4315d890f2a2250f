"""What every bench step shares: the error a step raises, how it prints, the loopback guard."""

from __future__ import annotations

import ipaddress
import sys
from urllib.parse import urlsplit


class BenchError(Exception):
    """A step could not be carried out (as opposed to a slow number)."""


def say(message: str = "") -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def heading(title: str) -> None:
    say()
    say(f"== {title} " + "=" * max(0, 70 - len(title)))


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"refusing to load {url}: benchmarks only target loopback addresses")
