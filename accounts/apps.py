from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Cuentas")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import post_save

        from accounts import metrics  # noqa: F401 - connects the lockout counter to django-axes' signal

        user_logged_out.connect(_end_sessions_on_logout, dispatch_uid="accounts.end_sessions_on_logout")
        post_save.connect(
            _forget_remembered_verdicts, sender=self.get_model("User"), dispatch_uid="accounts.user_saved"
        )


def _end_sessions_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Every logout (the page, the JSON API, the admin) ends the session for good: a copy of
    # the signed cookie is refused afterwards, which deleting the cookie alone cannot promise.
    if user is not None and user.is_authenticated:
        from accounts.services import user_sessions_end

        user_sessions_end(user=user)


def _forget_remembered_verdicts(sender: Any, instance: Any, **kwargs: Any) -> None:
    # A password change, a rotated session secret or a deactivation saved on this node is
    # honoured here at once, not after the remembered verdict's SESSION_USER_CACHE_SECONDS.
    from accounts.sessions import user_saved

    user_saved(instance.pk)
