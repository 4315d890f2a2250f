from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("register", views.register_page, name="register"),
    path("login", views.LoginPageView.as_view(), name="login"),
    path("logout", views.LogoutPageView.as_view(), name="logout"),
    path("auth/csrf", views.csrf_api, name="api-csrf"),
    path("auth/register", views.register_api, name="api-register"),
    path("auth/login", views.login_api, name="api-login"),
    path("auth/logout", views.logout_api, name="api-logout"),
    path("auth/me", views.me_api, name="api-me"),
]
