"""django-import-export resources for the Django admin: learners, organisations and headcounts (export only —
every write goes through the services, which keep counters, history and the edit lock). Admin exports are audited."""

import hashlib

from import_export import fields, resources
from import_export.admin import ExportMixin

from accounts.services import audit
from lec.lib import levels
from schools.models import Organisation

from .models import Learner, LearnerCount


class AuditedExportMixin(ExportMixin):
    """ExportMixin whose every export writes an audit row (who, what, filter, rows, checksum)."""

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        raw = data.encode("utf-8") if isinstance(data, str) else data
        audit(
            acting_user=request.user,
            action="admin_export",
            object_ref=self.model._meta.label,
            ip=request.META.get("REMOTE_ADDR"),
            rows=queryset.count(),
            checksum=hashlib.sha256(raw).hexdigest(),
            format=file_format.get_title() if hasattr(file_format, "get_title") else str(file_format),
            filter=request.GET.urlencode(),
        )
        return data


class OrganisationResource(resources.ModelResource):
    """The columns of api.md load_organisations, so an export loads back with `manage.py load_organisations`."""

    parent_code = fields.Field(attribute="parent__code", column_name="parent_code")
    is_active = fields.Field(column_name="is_active")

    class Meta:
        model = Organisation
        fields = ("code", "kind", "name_th", "name_en", "parent_code", "lao_type", "affiliation", "is_active")
        export_order = fields

    def dehydrate_is_active(self, org):
        return "1" if org.is_active else "0"

    def get_queryset(self):
        return super().get_queryset().select_related("parent").order_by("path")


class LearnerResource(resources.ModelResource):
    organisation_code = fields.Field(attribute="organisation__code", column_name="organisation_code")
    class_level_name = fields.Field(column_name="class_level_name")

    class Meta:
        model = Learner
        fields = ("id", "organisation_code", "national_id", "g_code", "student_number", "prefix", "first_name",
                  "last_name", "gender", "birth_date", "class_level", "class_level_name", "room", "nationality",
                  "race", "religion", "enrolled_on", "status", "left_on")  # fmt: skip
        export_order = fields

    def dehydrate_class_level_name(self, learner):
        level = levels.BY_CODE.get(learner.class_level)
        return level.full if level else ""

    def get_queryset(self):
        return super().get_queryset().select_related("organisation")


class HeadcountResource(resources.ModelResource):
    """Live counts per institution × class level × gender."""

    organisation_code = fields.Field(attribute="organisation__code", column_name="organisation_code")
    organisation_name = fields.Field(attribute="organisation__name_th", column_name="organisation_name")
    dmc = fields.Field(column_name="dmc")

    class Meta:
        model = LearnerCount
        fields = ("organisation_code", "organisation_name", "class_level", "dmc", "gender", "count")
        export_order = fields

    def dehydrate_dmc(self, row):
        level = levels.BY_CODE.get(row.class_level)
        return level.dmc if level else ""

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("organisation")
            .order_by("organisation__path", "class_level")
        )


def _read_only(model_admin_class):
    class ReadOnly(model_admin_class):
        def has_add_permission(self, request, obj=None):
            return False

        def has_change_permission(self, request, obj=None):
            return False

        def has_delete_permission(self, request, obj=None):
            return False

    return ReadOnly


def wire_admin(site) -> None:
    """Add audited export buttons to the admin pages of organisations, learners and headcounts, keeping whatever
    admin class their owners registered (learners and counters stay read-only there: writes go through services)."""
    from django.contrib import admin

    for model, resource, list_display in (
        (Organisation, OrganisationResource, None),
        (Learner, LearnerResource, ["first_name", "last_name", "organisation", "class_level", "status"]),
        (LearnerCount, HeadcountResource, ["organisation", "class_level", "gender", "count"]),
    ):
        existing = site._registry.get(model)
        if existing is not None and isinstance(existing, AuditedExportMixin):
            continue
        if existing is not None:
            base = type(existing)
            site.unregister(model)
        else:
            base = _read_only(admin.ModelAdmin)
        attrs = {"resource_classes": [resource], "__module__": __name__}
        if existing is None and list_display:
            attrs["list_display"] = list_display
            attrs["list_select_related"] = ["organisation"]
        site.register(model, type(f"{base.__name__}Export", (AuditedExportMixin, base), attrs))
