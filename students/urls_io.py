"""Import and export pages (issue 6), beside the roster's pages; included at the root by lec/urls.py."""

from django.urls import path

from . import views_io

app_name = "students_io"
urlpatterns = [
    path("o/<str:code>/import/", views_io.import_start, name="import"),
    path("o/<str:code>/import/template.xlsx", views_io.import_template, name="template"),
    path("o/<str:code>/import/<int:job_id>/", views_io.import_job, name="job"),
    path("o/<str:code>/import/<int:job_id>/progress/", views_io.import_progress, name="progress"),
    path("o/<str:code>/import/<int:job_id>/confirm/", views_io.import_confirm, name="confirm"),
    path("o/<str:code>/import/<int:job_id>/annotated.xlsx", views_io.import_annotated, name="annotated"),
    path("o/<str:code>/export/", views_io.export_page, name="export"),
    path("o/<str:code>/export/learners/", views_io.export_learners, name="export_learners"),
    path("o/<str:code>/export/jobs/<int:job_id>/", views_io.export_job_page, name="export_job"),
    path(
        "o/<str:code>/export/jobs/<int:job_id>/download/",
        views_io.export_job_download,
        name="export_download",
    ),
    path("o/<str:code>/other-schools/import/", views_io.other_schools_import, name="other_schools_import"),
]
