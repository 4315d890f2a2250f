"""cluster/envfile.py: .env gets every secret generated, none from .env.example, and a value
that is set is never changed (make up and the Docker path run the same function)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from cluster import envfile

REPO = Path(__file__).resolve().parents[1]


def test_the_example_carries_no_password() -> None:
    example = envfile.parse_env_text((REPO / ".env.example").read_text())
    for name in envfile.SECRET_NAMES:
        assert example.get(name, "") == "", f".env.example sets {name}"
    for name in ("DATABASE_URL", "MIGRATE_DATABASE_URL", "REPLICATION_PRIMARY_URL"):
        assert ":" not in example[name].split("//", 1)[1].split("@", 1)[0], f"{name} holds a password"


def test_every_missing_secret_is_generated_and_set_ones_are_kept() -> None:
    text = "# comment\nDJANGO_SECRET_KEY=\nDB_APP_PASSWORD=mine\nexport REPLICATION_PASSWORD=\n"
    filled_text, filled = envfile.with_secrets(text)
    values = envfile.parse_env_text(filled_text)
    assert "DB_APP_PASSWORD" not in filled and values["DB_APP_PASSWORD"] == "mine"
    assert set(filled) == set(envfile.SECRET_NAMES) - {"DB_APP_PASSWORD"}
    generated = [values[name] for name in filled]
    assert all(len(value) >= 32 for value in generated)
    assert len(set(generated)) == len(generated), "two secrets got the same value"
    assert filled_text.startswith("# comment\n")
    assert envfile.with_secrets(filled_text) == (filled_text, [])


def test_ensure_env_file_writes_a_private_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envfile, "ENV_FILE", tmp_path / ".env")
    monkeypatch.setattr(envfile, "ENV_EXAMPLE", REPO / ".env.example")
    first = envfile.ensure_env_file()
    assert first.startswith("created from .env.example; generated ")
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600
    before = (tmp_path / ".env").read_text()
    assert envfile.ensure_env_file().startswith("kept; no secret missing")
    assert (tmp_path / ".env").read_text() == before
    envfile.set_env_value("DB_ADMIN_PASSWORD", "rotated")
    after = envfile.parse_env_text((tmp_path / ".env").read_text())
    assert after["DB_ADMIN_PASSWORD"] == "rotated"
    assert {k: v for k, v in after.items() if k != "DB_ADMIN_PASSWORD"} == {
        k: v for k, v in envfile.parse_env_text(before).items() if k != "DB_ADMIN_PASSWORD"
    }
    assert list(tmp_path.iterdir()) == [tmp_path / ".env"], "a staging file was left behind"
