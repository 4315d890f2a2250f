from django.urls import path

from salas import api, views

app_name = "salas"

urlpatterns = [
    path("dashboard", views.dashboard, name="dashboard"),
    path("salas/nueva/", views.sala_create, name="create"),
    path("salas/<str:codigo>/", views.sala_detail, name="detail"),
    path("salas/<str:codigo>/editar/", views.sala_edit, name="edit"),
    path("salas/<str:codigo>/eliminar/", views.sala_delete, name="delete"),
    path("sala/create", api.sala_create_api, name="api-create"),
    path("sala/all", api.sala_list_api, name="api-list"),
    path("sala/codigo/<str:codigo>", api.sala_detail_api, name="api-detail"),
]
