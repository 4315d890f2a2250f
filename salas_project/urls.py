from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from ninja.openapi.urls import get_openapi_urls

from core.metrics import metrics
from replication.views import status
from salas_project.api import api

admin.site.site_header = _("Salas — administración")
admin.site.site_title = "Salas"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="salas:dashboard", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/status", status, name="status"),
    path("metrics", metrics, name="metrics"),
    # GET /api/openapi.json and /api/docs (salas_project/api.py); the routes themselves come below.
    path("", include((get_openapi_urls(api), "api"), namespace=api.urls_namespace)),
    # set_language: the switcher on every page posts here (no script: the CSP forbids inline ones).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.urls")),
    path("", include("salas.urls")),
    path("", include("reservas.urls")),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
