"""Tags for pages outside this app that must say what the confirmation state means for them: the lock notice on
learner pages (the learner app cannot import confirmations; templates are the wiring layer)."""

from django import template

from confirmations.selectors import home

register = template.Library()


@register.simple_tag
def lock_notice(org):
    """The LockNotice of an institution whose learners are locked, else None (no query when not locked)."""
    if org is None or not getattr(org, "is_institution", False):
        return None
    return home.lock_notice(org)


@register.simple_tag
def needs_you(org, round_):
    """The "what needs you now" panel of the home page (confirmations.selectors.home.needs_you)."""
    return home.needs_you(round_, org)


@register.simple_tag
def institution_steps(org, round_):
    """The institution's task list on its home: learners recorded, problems found (the confirm step's warnings)."""
    from confirmations.selectors import confirm_warnings, level_gender_counts

    counts = level_gender_counts(org)
    return {"total": sum(r["total"] for r in counts), "warnings": confirm_warnings(round_, org, counts)}
