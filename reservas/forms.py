from datetime import date, datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reservas import params
from reservas.models import TITULO_MAX
from reservas.recurrence import MAX_OCCURRENCES, Repeticion

REPETIR_CHOICES = [("", _("No se repite")), ("diaria", _("Cada día")), ("semanal", _("Cada semana"))]


class _Interval:
    """The form's date and two times as aware datetimes in the configured zone."""

    cleaned_data: dict

    def clean_fecha(self) -> date:
        fecha = self.cleaned_data["fecha"]
        if not params.MIN_YEAR <= fecha.year <= params.MAX_YEAR:
            raise forms.ValidationError(_("Fecha fuera de rango."))
        return fecha

    def inicio(self) -> datetime:
        return _local(self.cleaned_data["fecha"], self.cleaned_data["hora_inicio"])

    def fin(self) -> datetime:
        return _local(self.cleaned_data["fecha"], self.cleaned_data["hora_fin"])


class ReservaForm(_Interval, forms.Form):
    """Input shape for the room page's booking form; the rules live in reservas.services."""

    titulo = forms.CharField(label=_("Título"), max_length=TITULO_MAX)
    fecha = forms.DateField(label=_("Fecha"), widget=forms.DateInput(attrs={"type": "date"}))
    hora_inicio = forms.TimeField(label=_("Desde"), widget=forms.TimeInput(attrs={"type": "time"}))
    hora_fin = forms.TimeField(label=_("Hasta"), widget=forms.TimeInput(attrs={"type": "time"}))
    asistentes = forms.IntegerField(label=_("Asistentes"), min_value=1, max_value=10_000)
    repetir = forms.ChoiceField(label=_("Repetir"), choices=REPETIR_CHOICES, required=False)
    veces = forms.IntegerField(
        label=_("Número de veces"), min_value=1, max_value=MAX_OCCURRENCES, required=False, initial=1
    )
    privada = forms.BooleanField(
        label=_("Privada"), required=False, help_text=_("Los demás solo verán «Ocupado».")
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("repetir") and not data.get("veces"):
            self.add_error("veces", _("¿Cuántas veces?"))
        return data

    def repeticion(self) -> Repeticion | None:
        if not self.cleaned_data.get("repetir"):
            return None
        return Repeticion(frecuencia=self.cleaned_data["repetir"], veces=self.cleaned_data["veces"])


class BuscarForm(_Interval, forms.Form):
    fecha = forms.DateField(label=_("Fecha"), widget=forms.DateInput(attrs={"type": "date"}))
    hora_inicio = forms.TimeField(label=_("Desde"), widget=forms.TimeInput(attrs={"type": "time"}))
    hora_fin = forms.TimeField(label=_("Hasta"), widget=forms.TimeInput(attrs={"type": "time"}))
    min_capacidad = forms.IntegerField(
        label=_("Capacidad mínima"), min_value=1, max_value=10_000, required=False
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("hora_inicio") and data.get("hora_fin") and data["hora_fin"] <= data["hora_inicio"]:
            self.add_error("hora_fin", _("El fin debe ser posterior al inicio."))
        return data


def _local(day, moment) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))
