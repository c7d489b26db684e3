"""Every learner write: create, edit, leave, transfer, promote, bulk import; each locks the institution row,
respects its confirmation lock and keeps the live counters (LearnerCount) right in the same transaction.

cleaning (learner_clean), counters (the lock and LearnerCount), learners (one learner), bulk (the import's
upsert), transfers, promotion. The use cases are importable from here."""

from .bulk import UpsertResult, learners_bulk_upsert
from .cleaning import DEFAULTS, FIELDS, age_reference_date, learner_clean, learner_data
from .counters import counts_apply, lock_institution
from .learners import identity_error, learner_create, learner_leave, learner_update
from .promotion import (
    PROMOTION_REPEAT_DAYS,
    promotion_apply,
    promotion_plan,
    promotion_preview,
    promotion_teaches_secondary,
    promotion_undo,
)
from .transfers import transfer_approve, transfer_reject, transfer_request

__all__ = [
    "DEFAULTS",
    "FIELDS",
    "PROMOTION_REPEAT_DAYS",
    "UpsertResult",
    "age_reference_date",
    "counts_apply",
    "identity_error",
    "learner_clean",
    "learner_create",
    "learner_data",
    "learner_leave",
    "learner_update",
    "learners_bulk_upsert",
    "lock_institution",
    "promotion_apply",
    "promotion_plan",
    "promotion_preview",
    "promotion_teaches_secondary",
    "promotion_undo",
    "transfer_approve",
    "transfer_reject",
    "transfer_request",
]
