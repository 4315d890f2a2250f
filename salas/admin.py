from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm

from core.http import is_conflict
from core.views import error_response
from salas import services
from salas.models import Sala


@admin.register(Sala)
class SalaAdmin(admin.ModelAdmin):
    list_display = ("codigo", "nombre", "capacidad", "owner", "created_at")
    list_filter = ("created_at", "owner__is_staff")
    search_fields = ("codigo", "nombre", "owner__username", "owner__email")
    raw_id_fields = ("owner",)
    list_select_related = ("owner",)
    ordering = ("-id",)
    readonly_fields = ("created_at", "updated_at")

    # Staff manage every room, as the services allow; no per-model permission setup needed.
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission

    def save_model(self, request, obj: Sala, form: ModelForm, change: bool) -> None:
        # The admin writes through the same services as the pages and the API.
        if change:
            fields = (*services.EDITABLE_FIELDS, "owner")
            services.sala_update(
                sala=obj, actor=request.user, data={name: form.cleaned_data[name] for name in fields}
            )
        else:
            created = services.sala_create(
                owner=obj.owner, nombre=obj.nombre, codigo=obj.codigo, capacidad=obj.capacidad
            )
            obj.pk = created.pk

    # A room with future bookings cannot be deleted or shrunk below them: the
    # service refuses (ValidationError, code "conflict"); staff see why, as a 409.
    def changeform_view(self, request, *args, **kwargs):
        return _conflicts_as_409(request, super().changeform_view, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return _conflicts_as_409(request, super().delete_view, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        return _conflicts_as_409(request, super().changelist_view, *args, **kwargs)

    def delete_model(self, request, obj: Sala) -> None:
        services.sala_delete(sala=obj, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for sala in queryset:
            services.sala_delete(sala=sala, actor=request.user)


def _conflicts_as_409(request, view, *args, **kwargs):
    try:
        return view(request, *args, **kwargs)
    except ValidationError as exc:
        if not is_conflict(exc):
            raise
        return error_response(request, 409, " ".join(exc.messages))
