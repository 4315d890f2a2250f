"""Room pages. Thin: input through forms, writes through services, reads through selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.http import AuthenticatedHttpRequest
from core.views import error_response
from reservas.views import sala_page_context
from salas import selectors, services
from salas.forms import SalaEditForm, SalaFilterForm, SalaForm

DASHBOARD_PAGE_SIZE = 20


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    filters = SalaFilterForm(request.GET or None)
    params = filters.cleaned_data if filters.is_valid() else {}
    sala_page = selectors.sala_page_cached(
        q=params.get("q") or "",
        min_capacidad=params.get("min_capacidad"),
        page=params.get("page") or 1,
        page_size=DASHBOARD_PAGE_SIZE,
    )
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "salas/dashboard.html",
        {"filters": filters, "sala_page": sala_page, "querystring": querystring.urlencode()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def sala_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SalaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sala = services.sala_create(owner=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Sala «%(nombre)s» creada.") % {"nombre": sala.nombre})
            return redirect("salas:detail", codigo=sala.codigo)
    return render(request, "salas/sala_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def sala_detail(request: AuthenticatedHttpRequest, codigo: str) -> HttpResponse:
    sala = selectors.sala_get(codigo=codigo)
    # The room's page is also where it is booked: its week calendar and form.
    return render(request, "salas/sala_detail.html", sala_page_context(request, sala))


@login_required
@require_http_methods(["GET", "POST"])
def sala_edit(request: AuthenticatedHttpRequest, codigo: str) -> HttpResponse:
    sala = selectors.sala_get(codigo=codigo)
    if not services.sala_can_manage(user=request.user, sala=sala):
        raise PermissionDenied
    initial = {
        "nombre": sala.nombre,
        "codigo": sala.codigo,
        "capacidad": sala.capacidad,
        "privada": sala.privada,
    }
    form = SalaEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            sala = services.sala_update(sala=sala, actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Sala «%(nombre)s» actualizada.") % {"nombre": sala.nombre})
            return redirect("salas:detail", codigo=sala.codigo)
    context = {"form": form, "sala": sala}
    status = 409 if _is_conflict(form) else 400 if form.errors else 200
    return render(request, "salas/sala_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def sala_delete(request: AuthenticatedHttpRequest, codigo: str) -> HttpResponse:
    sala = selectors.sala_get(codigo=codigo)
    if not services.sala_can_manage(user=request.user, sala=sala):
        raise PermissionDenied
    if request.method == "POST":
        try:
            services.sala_delete(sala=sala, actor=request.user)
        except ValidationError as exc:
            # Future bookings: the room stays (409), and the page says why.
            return error_response(request, 409, " ".join(exc.messages))
        messages.success(request, _("Sala «%(nombre)s» eliminada.") % {"nombre": sala.nombre})
        return redirect("salas:dashboard")
    return render(request, "salas/sala_confirm_delete.html", {"sala": sala})


def _is_conflict(form: Form) -> bool:
    return any(error.code == "conflict" for errors in form.errors.as_data().values() for error in errors)


def _add_errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
