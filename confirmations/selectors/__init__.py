"""Reads shared by the confirmation pages, the API, exports and commands, one module per concern: rounds, who
takes part in which scope (participation), dashboards, headcounts, changes since a confirmation, events and
unlock requests. Callers write `selectors.dashboard(...)`; the names below are the package's whole surface."""

from .changes import changes_since_confirmation, snapshot_differences
from .dashboard import ChildRow, Dashboard, confirmation_detail, dashboard, round_by_id
from .events import events_for, unlock_requests_for
from .headcounts import confirm_warnings, headcounts, level_gender_counts
from .participation import blockers, confirmed_scopes, missed, scopes_of, unconfirmed_organisation_ids
from .rounds import banner_round, current_round, open_round, rounds

__all__ = [
    "ChildRow",
    "Dashboard",
    "banner_round",
    "blockers",
    "changes_since_confirmation",
    "confirm_warnings",
    "confirmation_detail",
    "confirmed_scopes",
    "current_round",
    "dashboard",
    "events_for",
    "headcounts",
    "level_gender_counts",
    "missed",
    "open_round",
    "round_by_id",
    "rounds",
    "scopes_of",
    "snapshot_differences",
    "unconfirmed_organisation_ids",
    "unlock_requests_for",
]
