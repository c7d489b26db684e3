"""Accessibility filters: tie an input to its format hint and error message by id (aria-describedby)."""

from django import template

register = template.Library()


@register.filter
def described(bound_field):
    """The widget with aria-describedby naming the ids partials/field.html gives its hint and its error."""
    ids, attrs = [], {}
    if bound_field.errors:
        ids.append(f"{bound_field.id_for_label}_error")
        attrs["aria-invalid"] = "true"
    if bound_field.help_text:
        ids.append(f"{bound_field.id_for_label}_help")
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    return bound_field.as_widget(attrs=attrs)
