"""A few demo rooms so a fresh system has something to show."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from replication import use_primary
from salas.models import Sala
from salas.services import sala_create

DEMO_ROOMS = [
    ("Sala Azul", "AZUL-01", 12),
    ("Aula Magna", "MAGNA", 250),
    ("Laboratorio de Redes", "LAB-REDES", 30),
    ("Sala de Juntas", "JUNTAS-2", 8),
]


class Command(BaseCommand):
    help = "Create demo rooms owned by the admin account; rooms that exist are left alone."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", default="admin", help="Username of the rooms' owner.")

    def handle(self, *args: Any, owner: str, **options: Any) -> None:
        with use_primary("command"):
            user = User.objects.filter(username__iexact=owner).first()
        if user is None:
            raise CommandError(f"no user {owner!r}: run `manage.py ensure_admin` first")
        created = 0
        for nombre, codigo, capacidad in DEMO_ROOMS:
            with use_primary("command"):
                if Sala.objects.filter(codigo__iexact=codigo).exists():
                    continue
            try:
                sala_create(owner=user, nombre=nombre, codigo=codigo, capacidad=capacidad)
            except ValidationError as exc:
                raise CommandError(f"demo room {codigo}: {exc.messages}") from exc
            created += 1
        self.stdout.write(
            self.style.SUCCESS(f"{created} demo room(s) created, {len(DEMO_ROOMS) - created} already there")
        )
