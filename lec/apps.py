from django.apps import AppConfig


class LecConfig(AppConfig):
    name = "lec"
    verbose_name = "LEC"
