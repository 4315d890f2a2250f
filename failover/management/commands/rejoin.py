"""manage.py rejoin dbN: a former primary (or a stray server) back as a replica of the current primary."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from failover.rejoin import RejoinError, rejoin
from failover.servers import all_servers


class Command(BaseCommand):
    help = (
        "Fence dbN, check it holds nothing the primary lacks, point it at the current primary "
        "(GTID, semi-sync acks) and wait until it has caught up. When it holds transactions the "
        "primary lacks (or commits waiting for an acknowledgement), kills it and starts it once "
        "with --init-rpl-role=SLAVE, which discards those never committed in its engine; refuses, "
        "and says to use `reclone dbN`, when committed ones remain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", choices=[s.name for s in all_servers()])
        parser.add_argument("--timeout", type=float, default=60.0, help="Seconds to wait for it to catch up.")
        parser.add_argument("--json", action="store_true", help="Print the outcome as JSON.")

    def handle(self, *args: Any, name: str, timeout: float, **options: Any) -> None:
        try:
            done = rejoin(name, self._say, timeout=timeout)
        except RejoinError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            body = {
                "name": done.name,
                "primary": done.primary,
                "position": done.position,
                "seconds": done.seconds,
            }
            self.stdout.write(json.dumps(body))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{done.name} replicates from {done.primary} and has applied {done.position} "
                f"({done.seconds:.1f}s)"
            )
        )

    def _say(self, message: str) -> None:
        self.stdout.write(f"==> {message}")
