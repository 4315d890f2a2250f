from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from reservas import services
from reservas.models import Reserva


@admin.register(Reserva)
class ReservaAdmin(admin.ModelAdmin):
    """Staff see, search and cancel bookings; booking itself goes through the pages and the API.

    Editing a booking's room or times here would bypass the room lock that
    keeps bookings from overlapping (reservas.services), so the fields are
    read-only and cancelling is an action through the same service.
    """

    list_display = ("titulo", "sala", "usuario", "inicio", "fin", "asistentes", "estado")
    list_filter = (
        "estado",
        ("sala", admin.RelatedOnlyFieldListFilter),
        ("inicio", admin.DateFieldListFilter),
    )
    search_fields = ("titulo", "sala__codigo", "sala__nombre", "usuario__username", "usuario__email")
    list_select_related = ("sala", "usuario")
    # No date_hierarchy: it truncates dates in SQL, which needs the server's
    # time zone tables (not loaded here); the date filter uses plain ranges.
    ordering = ("-inicio",)
    actions = ("cancelar",)

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    has_delete_permission = has_view_permission

    # View-only pages: no "save" that could rewrite a booking outside the service.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Cancelar las reservas seleccionadas"))
    def cancelar(self, request, queryset) -> None:
        count = sum(services.reserva_cancel(reserva=r, actor=request.user) for r in queryset)
        self.message_user(request, _("Reservas canceladas: %(n)d.") % {"n": count}, messages.SUCCESS)
