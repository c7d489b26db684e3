from django.urls import path

from . import views

app_name = "schools"
urlpatterns = [
    path("<str:code>/", views.organisation, name="organisation"),
]
