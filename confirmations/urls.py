"""Confirmation pages: dashboards, the confirm step, unlocks and requests, reports, events, notifications, rounds."""

from django.urls import path

from . import views, views_export, views_print

app_name = "confirmations"
urlpatterns = [
    path("confirm/<str:code>/", views.dashboard, name="dashboard"),
    path("confirm/<str:code>/check/", views.confirm_step, name="confirm"),
    path("confirm/<str:code>/unlock/", views.unlock, name="unlock"),
    path("confirm/<str:code>/unlock-children/", views.bulk_unlock, name="bulk_unlock"),
    path("confirm/<str:code>/unlock-children/done/", views.bulk_result, name="bulk_result"),
    path("confirm/<str:code>/remind/", views.remind, name="remind"),
    path("confirm/<str:code>/request/", views.request_unlock, name="request_unlock"),
    path("confirm/<str:code>/report/", views.report, name="report"),
    path("confirm/<str:code>/print/", views_print.print_confirmation, name="print"),
    path("confirm/<str:code>/events/", views.events, name="events"),
    path("unlock-requests/<int:request_id>/decide/", views.decide, name="decide"),
    path("notifications/", views.notifications, name="notifications"),
    path("rounds/", views.rounds, name="rounds"),
    path("rounds/<int:round_id>/<str:action>/", views.round_action, name="round_action"),
    path("o/<str:code>/export/headcounts/", views_export.export_headcounts, name="export_headcounts"),
]
