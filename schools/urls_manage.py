"""The department's management page for the organisation list, under /manage/ (names without a namespace)."""

from django.urls import path

from . import views_manage

urlpatterns = [
    path("organisations/", views_manage.organisations_upload, name="manage_organisations"),
]
