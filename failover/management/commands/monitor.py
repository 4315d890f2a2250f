"""manage.py monitor: the failover monitor (failover/monitor.py), run by supervisord."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from failover.monitor import Monitor


class Command(BaseCommand):
    help = (
        "Watch the primary; reopen it after a restart, fence any other writable server, and with "
        "FAILOVER_AUTO=1 fail over when it has been silent for FAILOVER_AFTER_SECONDS and the "
        "replicas confirm the loss. Runs until stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One check, then exit.")

    def handle(self, *args: Any, once: bool, **options: Any) -> None:
        Monitor(self._say).run(once=once)

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
