from django import forms
from django.utils.translation import gettext_lazy as _

from salas.models import CAPACIDAD_MAX, CAPACIDAD_MIN


class SalaForm(forms.Form):
    """Input shape for the pages; the rules themselves live in salas.services."""

    nombre = forms.CharField(label=_("Nombre"), max_length=100)
    codigo = forms.CharField(
        label=_("Código de acceso"),
        max_length=20,
        help_text=_("Entre 3 y 20 caracteres: letras, dígitos y guiones."),
    )
    capacidad = forms.IntegerField(label=_("Capacidad"), min_value=CAPACIDAD_MIN, max_value=CAPACIDAD_MAX)


class SalaEditForm(SalaForm):
    privada = forms.BooleanField(
        label=_("Privada"), required=False, help_text=_("Los demás ven sus reservas como «Ocupado».")
    )


class SalaFilterForm(forms.Form):
    q = forms.CharField(label=_("Buscar"), required=False, max_length=100)
    min_capacidad = forms.IntegerField(
        label=_("Capacidad mínima"), required=False, min_value=0, max_value=10**6
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=10**6)
