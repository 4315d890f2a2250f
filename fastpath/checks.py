"""The configuration the lanes were verified against (tests compare their answers with Django's).

A lane answers as Django would only for the pipeline it was compared with: if
the middleware, the session engine, the authentication backends or a lane's
URL change, the comparison tests must be run again and this record updated.
Until then the check fails `manage.py check` and every node refuses to start.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error
from django.urls import NoReverseMatch, resolve, reverse

VERIFIED_MIDDLEWARE = (
    "fastpath.middleware.FastPathMiddleware",
    "core.middleware.NodeHeaderMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    "replication.middleware.ReadRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
)
VERIFIED_SESSION_ENGINE = "accounts.sessions"
VERIFIED_AUTHENTICATION_BACKENDS = (
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UsernameOrEmailBackend",
)
# URL name -> (path, view) of each lane's Django twin.
VERIFIED_VIEWS = {
    "salas:api-list": ("/sala/all", "salas.api.sala_list_api"),
    "salas:api-create": ("/sala/create", "salas.api.sala_create_api"),
}


def check_fast_path(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if not (settings.ROOM_LIST_FAST_LANE or settings.ROOM_CREATE_FAST_LANE):
        return []
    errors = []
    for setting, verified in (
        ("MIDDLEWARE", VERIFIED_MIDDLEWARE),
        ("AUTHENTICATION_BACKENDS", VERIFIED_AUTHENTICATION_BACKENDS),
    ):
        if tuple(getattr(settings, setting)) != verified:
            errors.append(_changed(setting, getattr(settings, setting), verified))
    if settings.SESSION_ENGINE != VERIFIED_SESSION_ENGINE:
        errors.append(_changed("SESSION_ENGINE", settings.SESSION_ENGINE, VERIFIED_SESSION_ENGINE))
    for name, (path, view) in VERIFIED_VIEWS.items():
        try:
            found = reverse(name)
            func = resolve(found).func
        except NoReverseMatch:
            found, func = "(none)", None
        where = f"{getattr(func, '__module__', '')}.{getattr(func, '__name__', '')}"
        if found != path or where != view:
            errors.append(_changed(f"the URL {name}", f"{found} -> {where}", f"{path} -> {view}"))
    return errors


def _changed(what: str, now: Any, verified: Any) -> Error:
    return Error(
        f"{what} is not what the fast path was verified against",
        hint=(
            f"now {now!r}, verified {verified!r}. Re-run fastpath/tests against the new pipeline and "
            "update fastpath/checks.py, or turn the lanes off (ROOM_LIST_FAST_LANE=0, ROOM_CREATE_FAST_LANE=0)."
        ),
        id="fastpath.E001",
    )
