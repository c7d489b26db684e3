"""Template filters for budget pages: baht with two places and thousands separators, labels of codes."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from budget.engine import money
from budget.models import AppliesTo, Item, Unit
from lec.lib import levels

register = template.Library()


@register.filter
def baht(value):
    """An exact amount rounded once: 1234.5 → '1,234.50'."""
    if value is None or value == "":
        return "0.00"
    return intcomma(f"{money(value):.2f}", use_l10n=False)


@register.filter
def rate_text(value):
    """A rate without trailing zeros: 36.0000 → '36', 6.8900 → '6.89'."""
    text = f"{value.normalize():f}"
    return intcomma(text, use_l10n=False)


@register.filter
def item_label(code):
    return Item(code).label if code in Item.values else code


@register.filter
def applies_label(code):
    return AppliesTo(code).label if code in AppliesTo.values else code


@register.filter
def unit_label(code):
    return Unit(code).label if code in Unit.values else code


@register.filter
def level_short(code):
    found = levels.BY_CODE.get(code)
    return found.short if found else code


@register.filter
def level_full(code):
    found = levels.BY_CODE.get(code)
    return found.full if found else code
