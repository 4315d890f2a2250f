"""manage.py reclone dbN: rebuild dbN from a physical copy of the primary (mariadb-backup)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from failover.reclone import RecloneError, reclone
from failover.servers import all_servers


class Command(BaseCommand):
    help = (
        "Copy the current primary with mariadb-backup, replace dbN's data with the copy (the old "
        "data is kept aside until the copy replicates), start dbN as its replica and wait until it "
        "has caught up. Local cluster only: the servers share this machine."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", choices=[s.name for s in all_servers()])
        parser.add_argument(
            "--timeout", type=float, default=120.0, help="Seconds to wait for it to catch up."
        )

    def handle(self, *args: Any, name: str, timeout: float, **options: Any) -> None:
        try:
            seconds = reclone(name, self._say, timeout=timeout)
        except RecloneError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"{name} rebuilt from the primary and replicating ({seconds:.1f}s)")
        )

    def _say(self, message: str) -> None:
        self.stdout.write(f"==> {message}")
