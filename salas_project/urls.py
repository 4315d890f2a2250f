from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from core.metrics import metrics
from salas_project.api import api

admin.site.site_header = _("Salas — administración")
admin.site.site_title = "Salas"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="salas:dashboard", permanent=False)),
    path("admin/", admin.site.urls),
    path("metrics", metrics, name="metrics"),
    # The JSON API, every route of it, and GET /api/openapi.json, /api/docs (salas_project/api.py).
    path("", api.urls),
    # set_language: the switcher on every page posts here (no script: the CSP forbids inline ones).
    path("i18n/", include("django.conf.urls.i18n")),
    # The pages (HTML).
    path("", include("accounts.urls")),
    path("", include("salas.urls")),
    path("", include("reservas.urls")),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
