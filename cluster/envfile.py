"""The repo's .env: reading it (the runner, the tests and the bench use the same reader),
creating it from .env.example with every secret generated (never a default), changing one
value (rotation), and URLs derived from it."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cluster.console import ClusterError
from cluster.paths import ENV_EXAMPLE, ENV_FILE
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


# Every secret the system needs, generated on first use: (variable, bytes of randomness).
# token_urlsafe's alphabet (A-Z a-z 0-9 - _) needs no quoting in a URL, an SQL string,
# supervisord's config or a shell, so the values travel unchanged to every reader.
SECRETS = (
    ("DJANGO_SECRET_KEY", 50),
    ("DB_APP_PASSWORD", 24),
    ("DB_MIGRATE_PASSWORD", 24),
    ("DB_ADMIN_PASSWORD", 24),
    ("REPLICATION_PASSWORD", 24),
)
SECRET_NAMES = tuple(name for name, _ in SECRETS)


def new_secret(name: str) -> str:
    return secrets.token_urlsafe(dict(SECRETS)[name])


def with_value(text: str, name: str, value: str) -> str:
    """Set NAME=value: the first NAME= line replaced (comments kept), or one appended."""
    pattern = re.compile(rf"^(export[ \t]+)?{re.escape(name)}[ \t]*=.*$", re.MULTILINE)
    line = f"{name}={value}"
    new_text, count = pattern.subn(lambda _match: line, text, count=1)
    return new_text if count else text.rstrip("\n") + f"\n{line}\n"


def with_secrets(text: str) -> tuple[str, list[str]]:
    """Fill every secret that is missing or empty with a random value; set ones are kept."""
    present = parse_env_text(text)
    filled = [name for name in SECRET_NAMES if not present.get(name)]
    for name in filled:
        text = with_value(text, name, new_secret(name))
    return text, filled


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`, readable by its owner only from the first byte on.

    Written aside and renamed: no other user can open the file while it is being
    written at the umask's mode, and a reader never sees half a file.
    """
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(staging, 0o600)
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def ensure_env_file() -> str:
    """Create .env from .env.example if missing and fill every missing secret; never change a
    value that is set. What `make up` and the Docker path's `python3 -m cluster env` run."""
    if not ENV_EXAMPLE.is_file():
        raise ClusterError(".env.example is missing from the repo")
    created = not ENV_FILE.is_file()
    source = ENV_EXAMPLE if created else ENV_FILE
    text, added = with_new_settings(source.read_text(), ENV_EXAMPLE.read_text())
    text, filled = with_secrets(text)
    if created or filled or added:
        write_private(ENV_FILE, text)
    elif ENV_FILE.stat().st_mode & 0o077:
        ENV_FILE.chmod(0o600)
    generated = f"generated {', '.join(filled)}" if filled else "no secret missing"
    result = ("created from .env.example; " if created else "kept; ") + generated
    if added:
        result += f"; added {', '.join(added)} from .env.example"
    saved = save_from_environment()
    if saved:
        result += f"; saved {', '.join(saved)} from the environment"
    return result


def with_new_settings(text: str, example: str) -> tuple[str, list[str]]:
    """Append every setting .env.example has and `text` lacks, with the example's value.

    An .env written by an older checkout lacks what later versions added (MIGRATE_DATABASE_URL,
    say): without this, the first `make up` after pulling would fail at migrate. Values already
    set are never changed; secrets among the added names are empty here and filled after.
    """
    present = parse_env_text(text)
    missing = {name: value for name, value in parse_env_text(example).items() if name not in present}
    for name, value in missing.items():
        text = with_value(text, name, value)
    return text, list(missing)


# Settings `VAR=... make up` may give: kept in .env, so that every reader (the nodes read
# .env themselves) and every later `make up` agree.
FROM_ENVIRONMENT = ("TLS",)


def save_from_environment() -> list[str]:
    current = read_env()
    saved = []
    for name in FROM_ENVIRONMENT:
        value = os.environ.get(name)
        if value is not None and current.get(name) != value:
            set_env_value(name, value)
            saved.append(f"{name}={value}")
    return saved


def set_env_value(name: str, value: str) -> None:
    """Change one variable in .env, keeping everything else (rotation)."""
    write_private(ENV_FILE, with_value(ENV_FILE.read_text(), name, value))


def replica_url(primary_url: str, port: int) -> str:
    """The primary's URL (same credentials and database) with another port."""
    parts = urlsplit(primary_url)
    userinfo, _, _ = parts.netloc.rpartition("@")
    hostport = f"{parts.hostname or HOST}:{port}"
    netloc = f"{userinfo}@{hostport}" if userinfo else hostport
    return urlunsplit(parts._replace(netloc=netloc))
