from django.urls import path

from . import views

app_name = "schools"
urlpatterns = [
    path("<str:code>/", views.organisation, name="organisation"),
    path("<str:code>/other-schools/", views.other_schools, name="other_schools"),
    path("<str:code>/other-schools/headcounts/", views.other_headcounts, name="other_headcounts"),
    path("<str:code>/other-schools/add/", views.other_school_add, name="other_school_add"),
    path(
        "<str:code>/other-schools/<str:school_code>/close/",
        views.other_school_close,
        name="other_school_close",
    ),
    path(
        "<str:code>/other-schools/<str:school_code>/reopen/",
        views.other_school_reopen,
        name="other_school_reopen",
    ),
]
