from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts.identifiers import user_by_identifier
from replication import use_primary


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with either the username or the email address (accounts.identifiers).

    Lookups go to the primary: a user who has just registered on another node
    must be able to sign in at once, whatever the replica's lag.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ):
        if not username or password is None:
            return None
        user_model = get_user_model()
        with use_primary("sign-in"):
            user = user_by_identifier(user_model._default_manager.all(), username)
        if user is None:
            # Run the hasher anyway so a missing account takes as long as a wrong password.
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
