"""URL configuration: the home page, the admin, /api/v1, the language switch and each app's pages."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import set_language

from lec import ops, views
from lec.api import api, not_found_view

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/.*$", not_found_view),
    path("", include("accounts.urls")),
    path("o/", include("schools.urls")),
    path("", include("budget.urls")),
    path("manage/", include("schools.urls_manage")),
    path("", include("students.urls")),
    path("", include("students.urls_io")),
    path("", include("confirmations.urls")),
]

handler500 = "lec.views.server_error"
