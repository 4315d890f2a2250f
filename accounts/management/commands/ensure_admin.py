"""Create the Django admin account once, from the environment or with a generated password."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services import user_create
from replication import use_primary


class Command(BaseCommand):
    help = (
        "Create a superuser from DJANGO_ADMIN_USERNAME/EMAIL/PASSWORD unless it exists. With no "
        "password set, one is generated and printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default=None)
        parser.add_argument("--email", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        bootstrap = settings.BOOTSTRAP_ADMIN
        username = options["username"] or bootstrap["username"]
        email = options["email"] or bootstrap["email"]
        with use_primary("command"):
            exists = User.objects.filter(username__iexact=username).exists()
        if exists:
            self.stdout.write(f"admin account {username!r} already exists; left as is")
            return
        password = bootstrap["password"]
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        try:
            user_create(username=username, email=email, password=password, is_staff=True, is_superuser=True)
        except ValidationError as exc:
            raise CommandError(f"could not create the admin account: {exc.messages}") from exc
        self.stdout.write(self.style.SUCCESS(f"admin account {username!r} created"))
        if generated:
            self.stdout.write(self.style.WARNING(f"generated password (shown once): {password}"))
