from django.urls import path

from salas import views

app_name = "salas"

urlpatterns = [
    path("dashboard", views.dashboard, name="dashboard"),
    path("salas/nueva/", views.sala_create, name="create"),
    path("salas/<str:codigo>/", views.sala_detail, name="detail"),
    path("salas/<str:codigo>/editar/", views.sala_edit, name="edit"),
    path("salas/<str:codigo>/eliminar/", views.sala_delete, name="delete"),
]
