"""manage.py failover [--to dbN]: the primary is lost; promote the replica that has every acknowledged write."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from failover import promotion
from failover.management.commands.switchover import report
from failover.servers import all_servers


class Command(BaseCommand):
    help = (
        "Promote the most advanced replica (by GTID, after applying its relay log) when the primary "
        "does not answer, repoint the other replica and record the new topology. Refuses when no "
        "replica is safe (replication broken, a replica unreachable, diverged positions) and when "
        "the primary still answers (use switchover)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", choices=[s.name for s in all_servers()], help="Promote this one.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Go ahead with a replica unreachable or the primary answering (may lose writes).",
        )
        parser.add_argument("--json", action="store_true", help="Print the outcome as JSON.")

    def handle(self, *args: Any, to: str | None, force: bool, json: bool = False, **options: Any) -> None:
        try:
            outcome = promotion.failover(self._say, to=to, force=force, reason="manage.py failover")
        except promotion.PromotionError as exc:
            raise CommandError(str(exc)) from exc
        report(self, outcome, as_json=json)

    def _say(self, message: str) -> None:
        self.stdout.write(f"==> {message}")
