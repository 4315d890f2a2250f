"""Error answers in the project's two shapes: JSON for the API (core/http.json_error), pages for people."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.http import json_error, wants_json

_PAGE_TITLES = {
    400: gettext_lazy("Petición no válida"),
    403: gettext_lazy("Acceso denegado"),
    404: gettext_lazy("Página no encontrada"),
    409: gettext_lazy("No se puede hacer ahora"),
    429: gettext_lazy("Acceso bloqueado temporalmente"),
    503: gettext_lazy("Servicio no disponible"),
}


def error_response(
    request: HttpRequest, status: int, message: str = "", *, retry_after: int | None = None
) -> HttpResponse:
    """The error as JSON for API clients, or as a page (with `message`, or a hint back).

    `retry_after` (seconds): a 429 or 503 tells the client when to come back, in either shape.
    """
    if wants_json(request):
        return json_error(status, message or None, retry_after=retry_after)
    response = render(
        request, "error.html", {"title": _PAGE_TITLES[status], "message": message}, status=status
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    message = _(
        "Falta el token CSRF o no es válido. Recarga la página; en la API, envía la "
        "cookie csrftoken en la cabecera X-CSRFToken."
    )
    return error_response(request, 403, message)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return json_error(500)
    return render(request, "500.html", status=500)
