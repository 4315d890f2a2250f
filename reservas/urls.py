from django.urls import path

from reservas import api, feeds, views

app_name = "reservas"

urlpatterns = [
    path("reservas/", views.mis_reservas, name="mias"),
    path("reservas/buscar/", views.buscar, name="buscar"),
    path("reservas/nueva/<str:codigo>/", views.reserva_create_page, name="create"),
    path("reservas/<int:pk>/cancelar/", views.reserva_cancel_page, name="cancel"),
    path("reservas/calendario/renovar/", views.feed_rotate_page, name="feed-rotate"),
    path("reserva/create", api.reserva_create_api, name="api-create"),
    path("reserva/mias", api.reserva_mias_api, name="api-mias"),
    path("reserva/ical", api.ical_url_api, name="api-ical"),
    path("reserva/<int:pk>", api.reserva_detail_api, name="api-detail"),
    path("sala/disponibles", api.salas_disponibles_api, name="api-disponibles"),
    path("sala/codigo/<str:codigo>/reservas", api.sala_reservas_api, name="api-sala"),
    path("ical/<str:token>/mias.ics", feeds.mias_ics, name="ical-mias"),
    path("ical/<str:token>/sala/<str:codigo>.ics", feeds.sala_ics, name="ical-sala"),
]
