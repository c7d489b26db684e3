"""Template filters for Thai dates and numbers; loaded as a builtin."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from lec.lib import thai

register = template.Library()


@register.filter
def thdate(value):
    return thai.format_date(value)


@register.filter
def thdate_long(value):
    return thai.format_date(value, long=True)


@register.filter
def thdatetime(value):
    return thai.format_datetime(value)


@register.filter
def thdate_input(value):
    return thai.format_date_input(value)


@register.filter
def num(value):
    """1234 → '1,234' whatever the language."""
    if value is None or value == "":
        return "0"
    return intcomma(value, use_l10n=False)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
