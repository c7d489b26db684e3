"""Admin for the organisation tree (one page per kind through the proxy models) and, read-only, the
other-affiliation headcount entries."""

from django.contrib import admin
from guardian.admin import GuardedModelAdminMixin

from .models import (
    LAO,
    ChildDevelopmentCentre,
    Organisation,
    OtherAffiliationSchool,
    OtherSchoolCount,
    OtherSchoolEntry,
    Province,
    School,
)


@admin.register(Organisation)
class OrganisationAdmin(GuardedModelAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name_th", "kind", "parent", "lao_type", "affiliation", "is_active"]
    list_filter = ["kind", "lao_type", "affiliation", "is_active"]
    search_fields = ["code", "name_th", "name_en"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    readonly_fields = ["path", "learners_locked", "other_schools_locked"]
    list_per_page = 100

    def has_delete_permission(self, request, obj=None):
        return False  # organisations are closed, never deleted

    def save_model(self, request, obj, form, change):
        from .services import derived_fields, tree_rebuild

        parent_changed = change and "parent" in form.changed_data
        for field, value in derived_fields(obj.kind, obj.parent, obj.code, obj.pk).items():
            setattr(obj, field, value)
        super().save_model(request, obj, form, change)
        if obj.kind in ("province", "lao"):
            for field, value in derived_fields(obj.kind, obj.parent, obj.code, obj.pk).items():
                setattr(obj, field, value)
            obj.save(update_fields=["province", "lao"])
        if parent_changed or (change and "code" in form.changed_data):
            tree_rebuild([obj])


class _KindAdmin(OrganisationAdmin):
    pass


for proxy in (Province, LAO, School, ChildDevelopmentCentre, OtherAffiliationSchool):
    admin.site.register(proxy, _KindAdmin)


class OtherSchoolCountInline(admin.TabularInline):
    model = OtherSchoolCount
    fields = ["class_level", "male", "female"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OtherSchoolEntry)
class OtherSchoolEntryAdmin(admin.ModelAdmin):
    """Read-only: entries change only through the LAO's grid or the API, under the confirmation lock."""

    list_display = ["school", "lao", "round", "closed", "entered_by", "updated_at"]
    list_filter = ["round", "closed", "school__affiliation"]
    search_fields = ["school__code", "school__name_th", "lao__code", "lao__name_th"]
    list_select_related = ["school", "lao", "round", "entered_by"]
    fields = ["round", "school", "lao", "closed", "entered_by", "updated_at"]
    readonly_fields = fields
    inlines = [OtherSchoolCountInline]
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
