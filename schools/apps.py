from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolsConfig(AppConfig):
    name = "schools"
    verbose_name = "Organisations"

    def ready(self):
        # The audit page's label of the one audit action this app adds after accounts' list was written; its
        # Thai lives in this app's catalogue.
        from accounts.audit_labels import ACTION_LABELS

        ACTION_LABELS.setdefault(
            "other_school_levels", _("Set the class levels an other-affiliation school teaches")
        )
