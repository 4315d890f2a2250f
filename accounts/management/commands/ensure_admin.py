"""Create the Django admin account once, from the environment or with a generated password.

A generated password goes to a file only its owner can read, never to the output: the
output of `make up` and of the Docker migrate service is kept in logs (.state/logs,
`docker logs`) that outlive the moment and are readable by more people than the operator.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
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
        "password set, one is generated and written to DJANGO_ADMIN_PASSWORD_FILE (mode 0600); "
        "only the file's path is printed."
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
        path = Path(bootstrap["password_file"])
        if generated:
            password = secrets.token_urlsafe(16)
            # Written before the account exists: never an admin whose password nobody has.
            try:
                write_once(path, f"{username}\n{password}\n")
            except FileExistsError as exc:
                raise CommandError(
                    f"{path} exists from an earlier admin account: delete it and run again"
                ) from exc
        try:
            user_create(username=username, email=email, password=password, is_staff=True, is_superuser=True)
        except ValidationError as exc:
            if generated:
                path.unlink()
            raise CommandError(f"could not create the admin account: {exc.messages}") from exc
        self.stdout.write(self.style.SUCCESS(f"admin account {username!r} created"))
        if generated:
            self.stdout.write(
                self.style.WARNING(
                    f"generated password written to {path} (mode 0600): read it, sign in, then delete the file"
                )
            )


def write_once(path: Path, text: str) -> None:
    """Create `path` (0600 from its first byte, never over an existing file) with `text`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
