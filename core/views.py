"""Error views in the project's two shapes: JSON for the API, pages for people."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.http import json_error, wants_json


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    message = _(
        "Falta el token CSRF o no es válido. Recarga la página; en la API, envía la "
        "cookie csrftoken en la cabecera X-CSRFToken."
    )
    if wants_json(request):
        return json_error(403, message)
    return render(request, "403.html", {"message": message}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return json_error(400, _("Petición no válida."))
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return json_error(403, _("No tienes permiso para esta acción."))
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return json_error(404, _("No encontrado."))
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return json_error(500, _("Error interno del servidor."))
    return render(request, "500.html", status=500)
