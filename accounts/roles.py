"""Default object permissions per organisation kind (design.md "Who may do what")."""

from schools.models import Kind

ACTIONS = (
    "view_subtree",
    "edit_learners",
    "import_learners",
    "approve_transfers",
    "confirm_own",
    "request_unlock",
    "unlock_children",
    "edit_other_schools",
    "manage_rounds",
    "manage_organisations",
    "manage_users",
    "export_learners",
    "view_full_identity",
)

_INSTITUTION = (
    "view_subtree",
    "edit_learners",
    "import_learners",
    "approve_transfers",
    "confirm_own",
    "request_unlock",
    "export_learners",
    "view_full_identity",
)

DEFAULT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Kind.SCHOOL: _INSTITUTION,
    Kind.CDC: _INSTITUTION,
    Kind.LAO: (
        "view_subtree",
        "approve_transfers",
        "confirm_own",
        "request_unlock",
        "unlock_children",
        "edit_other_schools",
        "export_learners",
        "view_full_identity",
    ),
    Kind.PROVINCE: ("view_subtree", "confirm_own", "request_unlock", "unlock_children", "export_learners"),
    Kind.DEPARTMENT: (
        "view_subtree",
        "unlock_children",
        "manage_rounds",
        "manage_organisations",
        "manage_users",
        "export_learners",
    ),
    Kind.OTHER_SCHOOL: (),
}
