from django.apps import AppConfig


class FilestoreConfig(AppConfig):
    name = "lec.filestore"
    label = "filestore"
    verbose_name = "LEC file storage"
    default_auto_field = "django.db.models.BigAutoField"
