from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("register", views.register_page, name="register"),
    path("login", views.LoginPageView.as_view(), name="login"),
    path("logout", views.LogoutPageView.as_view(), name="logout"),
    path("password", views.PasswordChangePageView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetPageView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDonePageView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmPageView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        views.PasswordResetCompletePageView.as_view(),
        name="password_reset_complete",
    ),
]
