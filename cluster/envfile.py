"""The repo's .env: reading it (the runner, the tests and the bench use the same reader),
creating it from .env.example with a random secret key, and URLs derived from it."""

from __future__ import annotations

import os
import re
import secrets
from urllib.parse import urlsplit, urlunsplit

from cluster.console import ClusterError
from cluster.paths import ENV_EXAMPLE, ENV_FILE
from cluster.shell import write_if_changed
from cluster.topology import HOST


def parse_env_text(text: str) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments skipped, one pair of quotes removed."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def read_env() -> dict[str, str]:
    if not ENV_FILE.is_file():
        raise ClusterError(".env is missing: run `make up` once to create it")
    return parse_env_text(ENV_FILE.read_text())


def dotenv_values() -> dict[str, str]:
    """.env's values (none if it is missing), each overridden by the same variable in the
    environment, as the Django settings read them. For the tests and the bench."""
    values = parse_env_text(ENV_FILE.read_text()) if ENV_FILE.is_file() else {}
    return {key: os.environ.get(key, value) for key, value in values.items()}


def require(env: dict[str, str], *keys: str) -> list[str]:
    missing = [key for key in keys if not env.get(key)]
    if missing:
        raise ClusterError(f".env has no value for {', '.join(missing)}", ENV_FILE)
    return [env[key] for key in keys]


def with_secret_key(text: str) -> tuple[str, bool]:
    """Fill an empty DJANGO_SECRET_KEY= line (or add one) with a random key."""
    line = f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}"
    if "DJANGO_SECRET_KEY" not in parse_env_text(text):
        return text.rstrip("\n") + f"\n{line}\n", True
    pattern = re.compile(r"^DJANGO_SECRET_KEY=[ \t]*$", re.MULTILINE)
    new_text, count = pattern.subn(lambda _match: line, text, count=1)
    return new_text, bool(count)


def ensure_env_file() -> str:
    if not ENV_EXAMPLE.is_file():
        raise ClusterError(".env.example is missing from the repo")
    created = not ENV_FILE.is_file()
    source = ENV_EXAMPLE if created else ENV_FILE
    text, filled = with_secret_key(source.read_text())
    if created or filled:
        write_if_changed(ENV_FILE, text, mode=0o600)
    if created:
        result = "created from .env.example with a random DJANGO_SECRET_KEY"
    else:
        result = "kept" + ("; filled the empty DJANGO_SECRET_KEY" if filled else "")
    example_keys = parse_env_text(ENV_EXAMPLE.read_text())
    missing = sorted(set(example_keys) - set(read_env()))
    if missing:
        result += f"; note: .env lacks {', '.join(missing)} (in .env.example)"
    return result


def replica_url(primary_url: str, port: int) -> str:
    """The primary's URL (same credentials and database) with another port."""
    parts = urlsplit(primary_url)
    userinfo, _, _ = parts.netloc.rpartition("@")
    hostport = f"{parts.hostname or HOST}:{port}"
    netloc = f"{userinfo}@{hostport}" if userinfo else hostport
    return urlunsplit(parts._replace(netloc=netloc))
