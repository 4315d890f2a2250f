"""Load (or remove) a realistic volume of rooms, users and bookings: reservas.volume."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from replication import use_primary
from reservas import volume


class Command(BaseCommand):
    help = (
        "Load rooms, users and bookings at volume by bulk SQL on the primary, pacing the load by "
        "the replicas (--rooms 10000 --bookings 1000000 is the scale benchmark's), or remove them "
        "(--remove)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rooms", type=int, default=10_000, help="Rooms, the busy one included.")
        parser.add_argument("--bookings", type=int, default=1_000_000, help="About this many bookings.")
        parser.add_argument("--users", type=int, default=1_000, help="Accounts the bookings belong to.")
        parser.add_argument(
            "--heavy-user",
            default="",
            help=f"An existing account to give one booking in {volume.HEAVY_EVERY} to "
            f"(default: a new {volume.HEAVY_USER!r} that cannot sign in).",
        )
        parser.add_argument("--remove", action="store_true", help="Delete what an earlier load wrote.")

    def handle(self, *args: Any, **options: Any) -> None:
        say = self.stdout.write
        with use_primary("seed"):
            if options["remove"]:
                removed = volume.remove(say=say)
                self.stdout.write(self.style.SUCCESS(f"removed the seeded data ({removed:,} bookings)"))
                return
            if volume.seeded_owner() is not None:
                raise CommandError("seeded data is already loaded: run with --remove first")
            rooms, bookings, users = options["rooms"], options["bookings"], options["users"]
            if rooms < 2 or bookings < 0 or users < 1:
                raise CommandError("--rooms must be at least 2, --users at least 1, --bookings not negative")
            heavy = None
            if options["heavy_user"]:
                heavy = User.objects.filter(username__iexact=options["heavy_user"]).first()
                if heavy is None:
                    raise CommandError(f"no user {options['heavy_user']!r}")
            try:
                loaded = volume.load(rooms=rooms, bookings=bookings, users=users, heavy=heavy, say=say)
            except (ValueError, RuntimeError) as exc:
                raise CommandError(str(exc)) from exc
        rate = loaded.bookings / loaded.seconds if loaded.seconds else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"loaded {loaded.rooms:,} rooms, {loaded.users:,} users, {loaded.bookings:,} bookings "
                f"in {loaded.seconds:.1f}s ({rate:,.0f} bookings/s)"
            )
        )
