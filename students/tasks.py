"""Celery tasks for learners: thin wrappers (beat runs verify_counts nightly)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="students.tasks.verify_counts")
def verify_counts() -> dict:
    """Recount live headcounts; log every difference (a difference is a bug: counters change with each write)."""
    from students.selectors import count_differences

    institutions, lines = count_differences()
    try:
        from confirmations.selectors import snapshot_differences
    except ImportError:
        pass
    else:
        lines = [*lines, *snapshot_differences()]
    for line in lines:
        logger.error("verify_counts: %s", line)
    return {"institutions": institutions, "differences": lines}
