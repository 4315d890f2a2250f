"""The JSON API's contract on django-ninja: sessions with CSRF, `{"error", "fields"}` errors, 405s.

Each app's api.py declares its routes on a ninja Router; salas_project/api.py mounts
them on one ContractAPI, which is the only router of the JSON API. What ninja does its
own way is brought back to the contract here, once:

- CSRF: ninja marks its views csrf-exempt and checks the token in cookie-based auth
  classes; SessionAuth does it with Django's own check (ninja.utils.check_csrf, i.e.
  CsrfViewMiddleware), whose refusal is settings.CSRF_FAILURE_VIEW's answer, as before.
- Errors: ninja's 422 `{"detail": [...]}` becomes 400 "Datos no válidos." with our
  messages field by field (pydantic's error types mapped to the project's msgids, in
  the request's language); what handlers raise goes through core.http.exception_response;
  a body that is not a JSON object is refused by core.http.parse_json_object.
- 405: ninja answers a method a path lacks with a bare text 405; ContractAPI.urls turns
  it into the contract's, with the Allow header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError
from ninja.parser import Parser
from ninja.security import APIKeyCookie
from ninja.utils import check_csrf
from pydantic_core import PydanticCustomError

from core.http import (
    ApiError,
    InvalidInput,
    exception_response,
    json_error,
    method_not_allowed,
    parse_json_object,
)
from core.schemas import ErrorOut

# What any route may answer besides its success: bad input, not signed in, not allowed,
# no such thing, wrong method, a conflict with other rows, the lockout, no database.
ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 405, 409, 429, 503), ErrorOut)
# A conditional GET (core.http.conditional_response): its 200 carries an ETag, and a request
# whose If-None-Match names it is answered 304 without a body.
NOT_MODIFIED: dict[int, Any] = {304: None}
_ETAG = {
    "ETag": {
        "description": "Names the body's bytes; send it back in If-None-Match.",
        "schema": {"type": "string"},
    }
}
CONDITIONAL_GET: dict[str, Any] = {
    "parameters": [
        {
            "in": "header",
            "name": "If-None-Match",
            "required": False,
            "schema": {"type": "string"},
            "description": "An ETag this route answered: 304 while the body is still the same.",
        }
    ],
    # Keyed like ninja's own responses (ints), so the two merge instead of both being written.
    "responses": {
        200: {"headers": _ETAG},
        304: {"description": "Not Modified: the client's copy is current.", "headers": _ETAG},
    },
}
CONTRACT_ERROR = "contract"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CsrfRefused(Exception):
    """Django's CSRF check refused the request; `response` is CSRF_FAILURE_VIEW's answer."""

    def __init__(self, response: HttpResponse):
        super().__init__("CSRF")
        self.response = response


class SessionAuth(APIKeyCookie):
    """Django's session (request.user, set by the middleware), with Django's CSRF check on writes.

    `anonymous=True` lets signed-out callers through (sign-up, sign-in) but still
    checks CSRF: a forged sign-in is a login CSRF.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, *, anonymous: bool = False) -> None:
        # ninja's own check (csrf=True) would answer {"detail": ...}; ours answers the contract.
        super().__init__(csrf=False)
        self.anonymous = anonymous

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if request.method not in SAFE_METHODS:
            refused = check_csrf(request)
            if refused is not None:
                raise CsrfRefused(refused)
        user = request.user
        return user if user.is_authenticated or self.anonymous else None


signed_in = SessionAuth()
anyone = SessionAuth(anonymous=True)


class ContractParser(Parser):
    """Bodies as the contract takes them: JSON objects sent as application/json (orjson)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return parse_json_object(request)

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        # A parameter sent empty ("?page=") is one not sent: its default applies, as it always has.
        return {
            key: data.getlist(key) if key in list_fields else value
            for key, value in data.items()
            if value != ""
        }


class ContractAPI(NinjaAPI):
    """A NinjaAPI whose routes sit at the site's root and whose every error keeps the contract."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(parser=ContractParser(), **kwargs)
        handlers: dict[type[Exception], Callable[[HttpRequest, Any], HttpResponse]] = {
            SchemaError: _invalid_input,
            HttpError: _http_error,
            CsrfRefused: lambda request, exc: exc.response,
            # ninja's own 404 answers {"detail": ...}; ours, and everything a handler raises, the contract.
            Http404: _mapped_or_raised,
            Exception: _mapped_or_raised,
        }
        for exc_class, handler in handlers.items():
            self.add_exception_handler(exc_class, handler)

    def validation_error_from_error_contexts(self, error_contexts: list[Any]) -> SchemaError:
        error = super().validation_error_from_error_contexts(error_contexts)
        # ninja drops pydantic's inputs; whether one was null matters: a null where a value is
        # required reads "required", as it always has, not "must be a string".
        inputs = (
            detail["input"]
            for context in error_contexts
            for detail in context.pydantic_validation_error.errors()
        )
        for detail, value in zip(error.errors, inputs, strict=True):
            detail["null"] = value is None
        return error

    def create_temporal_response(self, request: HttpRequest) -> HttpResponse:
        # ninja makes a scratch response per request for handlers that return data; ours return
        # their own HttpResponse (orjson bodies, ETags), so it is built only if something uses it.
        return cast("HttpResponse", _ScratchResponse(self))

    def get_root_path(self, path_params: dict[str, Any]) -> str:
        # The routes sit at the site's root ("/sala/all"), not under a mount point of their own.
        return "/"

    @property
    def urls(self) -> tuple[list[Any], str, str]:
        patterns, app_name, namespace = super().urls
        wrapped = [
            URLPattern(p.pattern, _contract_405(p.callback), p.default_args, p.name)
            if isinstance(p, URLPattern)
            else p
            for p in patterns
            # ninja's "api-root" would claim the site's "" (salas_project/urls.py redirects it).
            if not (isinstance(p, URLPattern) and p.name == "api-root")
        ]
        return wrapped, app_name, namespace


class _ScratchResponse:
    """Stands in for ninja's scratch HttpResponse and makes the real one on first use (~20 µs saved)."""

    __slots__ = ("_api", "_response")

    def __init__(self, api: NinjaAPI):
        self._api = api
        self._response: HttpResponse | None = None

    def _real(self) -> HttpResponse:
        if self._response is None:
            self._response = HttpResponse("", content_type=self._api.get_content_type())
        return self._response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _ScratchResponse.__slots__:
            object.__setattr__(self, name, value)
        else:
            setattr(self._real(), name, value)

    def __getitem__(self, header: str) -> str:
        return self._real()[header]

    def __setitem__(self, header: str, value: str) -> None:
        self._real()[header] = value


def _contract_405(view: Callable[..., Any]) -> Callable[..., Any]:
    def contract_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            return method_not_allowed(m.strip() for m in response["Allow"].split(","))
        return response

    contract_view.csrf_exempt = True  # type: ignore[attr-defined]  # SessionAuth checks it
    return contract_view


def _mapped_or_raised(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = exception_response(exc)
    if response is None:
        # Not the API's to answer (a database outage): Django's middleware does, as for any view.
        raise exc
    return response


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        return json_error(401)
    if isinstance(exc.__cause__, ApiError):
        # ninja wraps what the parser raised (ContractParser): the body was not a JSON object.
        return json_error(exc.__cause__.status, exc.__cause__.message)
    return json_error(exc.status_code) if exc.status_code in (400, 403, 404, 405) else json_error(400)


def _invalid_input(request: HttpRequest, exc: SchemaError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [part for part in error["loc"] if isinstance(part, str)]
        if loc[0] == "body" and len(loc) <= 2:
            # No body at all (ninja validates "nothing" against the payload): say why, as before.
            try:
                parse_json_object(request)
            except ApiError as refused:
                return json_error(refused.status, refused.message)
        field = loc[-1] if len(loc) > 1 else "__all__"
        fields.setdefault(field, []).append(_message(error))
    return json_error(400, InvalidInput.message_text(), fields)


def contract_error(message: str) -> PydanticCustomError:
    """What a schema's validator raises to refuse a value with our own (translated) message."""
    return PydanticCustomError(CONTRACT_ERROR, message)


def _message(error: dict[str, Any]) -> str:
    """Our message for one of pydantic's errors (its `type` and `ctx`), in the active language."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == CONTRACT_ERROR:
        return str(error["msg"])
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1) or error.get("null"):
        return _("Este campo es obligatorio.")
    if kind == "extra_forbidden":
        return _("Campo desconocido.")
    if kind.startswith("int_"):
        return _("Debe ser un número entero.")
    if kind.startswith("bool_"):
        return _("Debe ser true o false.")
    if kind in ("string_type", "str_type"):
        return _("Debe ser un texto.")
    if kind == "greater_than_equal":
        return _("Debe ser al menos %(min)d.") % {"min": ctx["ge"]}
    if kind == "less_than_equal":
        return _("Como máximo %(max)d.") % {"max": ctx["le"]}
    if kind == "string_too_long":
        return _("Como máximo %(max)d caracteres.") % {"max": ctx["max_length"]}
    return _("Valor no válido.")
