"""Budget rates in the Django admin (the department's page loads whole files with the same checks)."""

from django.contrib import admin

from .models import BudgetRate


@admin.register(BudgetRate)
class BudgetRateAdmin(admin.ModelAdmin):
    list_display = (
        "fiscal_year",
        "item",
        "applies_to",
        "levels",
        "size_min",
        "size_max",
        "rate",
        "unit",
        "days",
    )
    list_filter = ("fiscal_year", "item", "applies_to")
    search_fields = ("levels",)
    readonly_fields = ("updated_at", "loaded_by")
