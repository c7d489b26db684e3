"""URL configuration: pages, the admin, /api/v1 and the language switch."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.i18n import set_language

from accounts import views as account_views
from lec import manage_views, ops, views
from lec.api import api, not_found_view

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", account_views.password_change, name="password_change"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/.*$", not_found_view),
    path("o/", include("schools.urls")),
    path("manage/organisations/", manage_views.organisations_upload, name="manage_organisations"),
    path("manage/users/", manage_views.users_upload, name="manage_users"),
    path("manage/users/passwords.csv", manage_views.users_passwords, name="manage_users_passwords"),
]

# Each app's pages; students.urls_io holds the import/export pages.
for module in ("students.urls", "students.urls_io", "confirmations.urls"):
    try:
        urlpatterns.append(path("", include(module)))
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
