from django.urls import path

from reservas import feeds, views

app_name = "reservas"

urlpatterns = [
    path("reservas/", views.mis_reservas, name="mias"),
    path("reservas/buscar/", views.buscar, name="buscar"),
    path("reservas/nueva/<str:codigo>/", views.reserva_create_page, name="create"),
    path("reservas/<int:pk>/cancelar/", views.reserva_cancel_page, name="cancel"),
    path("reservas/calendario/renovar/", views.feed_rotate_page, name="feed-rotate"),
    path("ical/<str:token>/mias.ics", feeds.mias_ics, name="ical-mias"),
    path("ical/<str:token>/sala/<str:codigo>.ics", feeds.sala_ics, name="ical-sala"),
]
