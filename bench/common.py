"""What every bench step shares: the error a step raises, how it prints, the loopback guard."""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")


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


def median_item(items: Sequence[T], key: Callable[[T], float]) -> T:
    """The item whose key is the median (the lower middle one of an even count): a real run, not a mean."""
    return sorted(items, key=key)[(len(items) - 1) // 2]
