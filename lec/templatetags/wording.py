"""{% kindword kind "msgid" n=… %}: a phrase as an institution of that kind says it (lec.lib.wording)."""

from django import template

from lec.lib import wording

register = template.Library()


@register.simple_tag
def kindword(kind, msgid, **values):
    text = wording.for_kind(kind, msgid)
    return text % values if values else text
