"""Template tags for the learner panel on the organisation page."""

from django import template

from students import selectors

register = template.Library()


@register.simple_tag
def learner_panel(org):
    return selectors.panel_summary(org)
