"""Admin for learners: read-only. Every write goes through students.services so the live counters, the edit
lock and history stay right; the admin is for looking things up."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Learner, LearnerCount, PromotionBatch, Transfer
from .resources import wire_admin


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Learner)
class LearnerAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "organisation", "class_level", "room", "status", "version")
    list_filter = ("status", "class_level")
    search_fields = ("=national_id", "=g_code", "first_name", "last_name", "=organisation__code")
    list_select_related = ("organisation",)
    raw_id_fields = ("organisation",)
    show_full_result_count = False


@admin.register(Transfer)
class TransferAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "identity",
        "from_organisation",
        "to_organisation",
        "class_level",
        "state",
        "requested_at",
    )
    list_filter = ("state",)
    list_select_related = ("from_organisation", "to_organisation")
    search_fields = ("=identity",)


@admin.register(PromotionBatch)
class PromotionBatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("organisation", "created_at", "created_by", "undone_at")
    list_select_related = ("organisation", "created_by")
    exclude = ("changes",)


@admin.register(LearnerCount)
class LearnerCountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("organisation", "class_level", "gender", "count")
    list_select_related = ("organisation",)
    search_fields = ("=organisation__code",)


# Audited exports (django-import-export) on the organisation, learner and headcount admin pages (engineer D's
# wiring keeps the read-only classes above and adds the export button).
wire_admin(admin.site)
