"""The permission matrix written out literally from design.md "Who may do what" (Wagtail-style).

Every expected cell is typed below; nothing is computed from `accounts.roles` or `accounts.policy`, which are
only called (`can`) or compared with the literal lists. A change to the role table that the design does not
make, such as giving provinces `edit_learners` or institutions `unlock_children`, turns cells red here.
"""

import pytest

from accounts import policy

pytestmark = pytest.mark.django_db

# api.md "/me": the permission names, in this order.
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

# role → relation → the organisation of the OrgTree (tests/factories.py) standing in that relation to it.
RELATIONS = {
    "school": {
        "own": "school1",
        "sibling": "school2",
        "other_lao": "school3",
        "other_province": "school4",
        "parent": "lao1",
        "grandparent": "p1",
    },
    "cdc": {
        "own": "cdc1",
        "sibling": "school1",
        "other_lao": "school3",
        "other_province": "cdc2",
        "parent": "lao1",
    },
    "lao": {
        "own": "lao1",
        "child": "school1",
        "child_cdc": "cdc1",
        "child_other_school": "other1",
        "sibling": "lao2",
        "sibling_child": "school3",
        "other_province": "lao3",
        "parent": "p1",
    },
    "province": {
        "own": "p1",
        "child": "lao1",
        "grandchild": "school1",
        "grandchild_other_school": "other2",
        "sibling": "p2",
        "other_province": "school4",
        "parent": "dept",
    },
    "department": {
        "own": "dept",
        "child": "p1",
        "grandchild": "lao3",
        "great_grandchild": "cdc2",
    },
}
ROLE_USER = {"school": "school1", "cdc": "cdc1", "lao": "lao1", "province": "p1", "department": "dept"}

_INSTITUTION = {
    # sees its own institution; edits learners, imports, confirms its own data, asks the LAO to unlock
    ("view_subtree", "own"),
    ("edit_learners", "own"),
    ("import_learners", "own"),
    ("confirm_own", "own"),
    ("request_unlock", "own"),
    # api.md: transfers are approved by the sending institution; exports of what it sees; full identities
    # are shown to the institution and its LAO
    ("approve_transfers", "own"),
    ("export_learners", "own"),
    ("view_full_identity", "own"),
}
_LAO_SUBTREE = ("own", "child", "child_cdc", "child_other_school")
_PROVINCE_SUBTREE = ("own", "child", "grandchild", "grandchild_other_school")
_DEPARTMENT_SUBTREE = ("own", "child", "grandchild", "great_grandchild")

# The allowed (action, relation) cells per role; every other cell is refused.
ALLOWED: dict[str, set[tuple[str, str]]] = {
    "school": set(_INSTITUTION),
    "cdc": set(_INSTITUTION),
    "lao": {
        *{("view_subtree", r) for r in _LAO_SUBTREE},
        # enters other-affiliation headcounts (held on the LAO, covering its other-affiliation schools)
        *{("edit_other_schools", r) for r in _LAO_SUBTREE},
        ("confirm_own", "own"),
        ("request_unlock", "own"),
        # unlocks its institutions (direct children only, never itself)
        ("unlock_children", "child"),
        ("unlock_children", "child_cdc"),
        ("unlock_children", "child_other_school"),
        # approves transfers of its institutions, sees their identities in full, exports its subtree
        *{("approve_transfers", r) for r in _LAO_SUBTREE},
        *{("view_full_identity", r) for r in _LAO_SUBTREE},
        *{("export_learners", r) for r in _LAO_SUBTREE},
    },
    "province": {
        *{("view_subtree", r) for r in _PROVINCE_SUBTREE},
        ("confirm_own", "own"),
        ("request_unlock", "own"),
        ("unlock_children", "child"),
        *{("export_learners", r) for r in _PROVINCE_SUBTREE},
    },
    "department": {
        *{("view_subtree", r) for r in _DEPARTMENT_SUBTREE},
        ("unlock_children", "child"),
        *{("manage_rounds", r) for r in _DEPARTMENT_SUBTREE},
        *{("manage_organisations", r) for r in _DEPARTMENT_SUBTREE},
        *{("manage_users", r) for r in _DEPARTMENT_SUBTREE},
        *{("export_learners", r) for r in _DEPARTMENT_SUBTREE},
    },
}

CELLS = [
    (role, action, relation)
    for role, relations in RELATIONS.items()
    for relation in relations
    for action in ACTIONS
]


def test_the_typed_cells_name_only_known_actions_and_relations():
    for role, cells in ALLOWED.items():
        for action, relation in cells:
            assert action in ACTIONS, (role, action)
            assert relation in RELATIONS[role], (role, relation)


def test_the_action_list_is_api_md_list():
    from accounts.roles import ACTIONS as CODE_ACTIONS

    # A new action without its typed cells fails here, before it can slip past the matrix.
    assert tuple(CODE_ACTIONS) == ACTIONS


PAIRS = [(role, relation) for role, relations in RELATIONS.items() for relation in relations]


@pytest.mark.parametrize(("role", "relation"), PAIRS)
def test_cells(tree, role, relation):
    """One (role, relation) row of 13 cells; a failure lists every wrong cell of the row."""
    user = tree.users[ROLE_USER[role]]
    target = getattr(tree, RELATIONS[role][relation])
    got = {action: policy.can(user, action, target) for action in ACTIONS}
    expected = {action: (action, relation) in ALLOWED[role] for action in ACTIONS}
    assert got == expected, f"{role} on {relation} ({target.code})"


def test_matrix_size():
    # 5 roles; 6 + 5 + 8 + 7 + 4 relations; 13 actions each: 390 cells, 73 of them allowed.
    assert len(CELLS) == 30 * 13
    assert sum(len(cells) for cells in ALLOWED.values()) == 8 + 8 + 25 + 11 + 21


# What each role holds at all (api.md "/me" permissions), typed: a grant that no relation exercises, such as
# `unlock_children` given to an institution that has no children, still shows up here.
HELD = {
    "school": ["view_subtree", "edit_learners", "import_learners", "approve_transfers", "confirm_own",
               "request_unlock", "export_learners", "view_full_identity"],
    "cdc": ["view_subtree", "edit_learners", "import_learners", "approve_transfers", "confirm_own",
            "request_unlock", "export_learners", "view_full_identity"],
    "lao": ["view_subtree", "approve_transfers", "confirm_own", "request_unlock", "unlock_children",
            "edit_other_schools", "export_learners", "view_full_identity"],
    "province": ["view_subtree", "confirm_own", "request_unlock", "unlock_children", "export_learners"],
    "department": ["view_subtree", "unlock_children", "manage_rounds", "manage_organisations", "manage_users",
                   "export_learners"],
}  # fmt: skip


@pytest.mark.parametrize("role", list(HELD))
def test_held_permissions(tree, api, role):
    user = tree.users[ROLE_USER[role]]
    assert policy.granted_actions(user) == HELD[role]
    body = api.get("/api/v1/me", user=user).json()
    assert body["permissions"] == HELD[role]


@pytest.mark.parametrize("role", ["school", "cdc", "lao", "province"])
@pytest.mark.parametrize("action", ["manage_rounds", "manage_organisations", "manage_users"])
def test_national_actions_are_refused_below_the_department(tree, role, action):
    assert policy.can_nationally(tree.users[ROLE_USER[role]], action) is False


@pytest.mark.parametrize("action", ["manage_rounds", "manage_organisations", "manage_users"])
def test_national_actions_are_the_departments(tree, action):
    assert policy.can_nationally(tree.users["dept"], action) is True
