"""Budget pages: each organisation's estimate, how a figure was computed, the comparison, the rates."""

from django.urls import path

from . import views

app_name = "budget"

urlpatterns = [
    path("budget/rates/", views.rates_page, name="rates"),
    path("budget/<str:code>/", views.estimate_page, name="estimate"),
    path("budget/<str:code>/explain/", views.explain_page, name="explain"),
    path("budget/<str:code>/compare/", views.compare_page, name="compare"),
]
