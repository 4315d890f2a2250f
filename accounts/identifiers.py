"""What a sign-in identifier names: an email when it has "@", else a username.

Usernames cannot contain "@" (accounts.validators), so the two namespaces never
overlap: nobody can register a username equal to someone else's email and so
capture sign-ins typed with that email, or spend its lockout budget. The sign-in
backend and the lockout key both resolve identifiers here, so both always agree
on which account a name means.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User


def is_email(identifier: str) -> bool:
    return "@" in identifier


def user_by_identifier(users: QuerySet[User], identifier: str) -> User | None:
    """The account `identifier` names in `users` (case-insensitively), or None."""
    if is_email(identifier):
        return users.filter(email__iexact=identifier).first()
    return users.filter(username__iexact=identifier).first()
