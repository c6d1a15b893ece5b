from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("aitasks.api.urls")),
    path("", include("aitasks.dashboard.urls")),
]

handler400 = "aitasks.error_pages.bad_request"
handler404 = "aitasks.error_pages.not_found"
handler500 = "aitasks.error_pages.server_error"
