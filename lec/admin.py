"""Admin for background jobs (read-only: tasks write them)."""

from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "phase", "state", "organisation", "created_by", "created_at", "finished_at"]
    list_filter = ["kind", "state"]
    list_select_related = ["organisation", "created_by"]
    search_fields = ["organisation__code", "created_by__username", "filename"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
