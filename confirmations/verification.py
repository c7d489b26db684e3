"""`verify_counts` (api.md): recount live headcounts from learners and compare them with the counter table, and
every confirmed snapshot of the open round with the live counts it was copied from. One function, used by the
`verify_counts` management command and the nightly Celery task alike: both checks always run."""

from students.selectors import count_differences

from .selectors import snapshot_differences


def verify_counts() -> tuple[int, list[str]]:
    """(institutions recounted, one line per difference): empty lines mean every count agrees. A difference is a
    bug — counters change with each write and snapshots are frozen behind the edit lock."""
    institutions, lines = count_differences()
    return institutions, [*lines, *snapshot_differences()]
