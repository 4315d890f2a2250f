"""manage.py switchover --to dbN: a planned change of primary, with no write lost."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from failover import promotion
from failover.servers import all_servers


class Command(BaseCommand):
    help = (
        "Make dbN the primary: fence the current primary (read-only), wait until dbN has applied "
        "everything, promote it and make every other server (the old primary too) its replica. "
        "Writes are refused (503) for the seconds this takes; none is lost."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, choices=[s.name for s in all_servers()])
        parser.add_argument("--json", action="store_true", help="Print the outcome as JSON.")

    def handle(self, *args: Any, to: str, json: bool = False, **options: Any) -> None:
        try:
            outcome = promotion.switchover(to, self._say)
        except promotion.PromotionError as exc:
            raise CommandError(str(exc)) from exc
        report(self, outcome, as_json=json)

    def _say(self, message: str) -> None:
        self.stdout.write(f"==> {message}")


def report(command: BaseCommand, outcome: promotion.Outcome, *, as_json: bool) -> None:
    if as_json:
        command.stdout.write(json_dumps(outcome))
        return
    command.stdout.write(
        command.style.SUCCESS(
            f"{outcome.kind}: {outcome.new} is the primary (was {outcome.old}); writes stopped for "
            f"{outcome.seconds:.2f}s; position {outcome.position or '-'}"
        )
    )


def json_dumps(outcome: promotion.Outcome) -> str:
    return json.dumps(
        {
            "kind": outcome.kind,
            "old_primary": outcome.old,
            "primary": outcome.new,
            "reason": outcome.reason,
            "took_seconds": round(outcome.seconds, 3),
            "position": outcome.position,
        }
    )
