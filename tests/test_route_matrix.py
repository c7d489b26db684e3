"""Every page route and every API operation, asked by each role about organisations in each relation to it.

PAGES and OPERATIONS are typed tables, one line per route: the status expected for each column of COLUMNS
(role.relation). The routes are collected from the URL resolver and the operations from /api/v1/openapi.json, so a
new route without a line fails here, and so does a line whose statuses change (design.md "Who may do what": not
visible → 404, visible but not allowed → 403; api.md: 401 first, a malformed body may answer 400 before 403/404).
A failure prints the line as the route answers today, to be checked against the design before it is pasted.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from lec.api import api
from tests.factories import PASSWORD, OrgTree, RoundFactory, make_learner
from tests.students.helpers import learner_input

ROLE_USER = {"school": "school1", "cdc": "cdc1", "lao": "lao1", "province": "p1", "department": "dept"}
# role → relation → (organisation addressed, institution of the learner addressed) in the factory tree
RELATIONS = {
    "school": {"own": ("school1", "school1"), "sibling": ("school2", "school2"), "parent": ("lao1", "school3")},
    "cdc": {"own": ("cdc1", "cdc1"), "parent": ("lao1", "school1")},
    "lao": {"own": ("lao1", "school1"), "child": ("school1", "school2"), "sibling": ("lao2", "school3"),
            "parent": ("p1", "school4")},
    "province": {"own": ("p1", "school1"), "child": ("lao1", "school2"), "grandchild": ("school1", "school1"),
                 "sibling": ("p2", "school4"), "parent": ("dept", "school4")},
    "department": {"own": ("dept", "school1"), "child": ("p1", "school3"), "leaf": ("school1", "school4")},
}  # fmt: skip
COLUMNS = [(role, relation) for role, relations in RELATIONS.items() for relation in relations]
# For a learner, the relation is read as: own (school, cdc: its own learner; others: a learner below them),
# child/grandchild/leaf (one below), sibling/parent (one outside what the role sees, for those that see less).

# Pages, GET, logged in. Columns: school own sibling parent | cdc own parent | lao own child sibling parent |
# province own child grandchild sibling parent | department own child leaf.
PAGES = {
    "": "302 302 302 | 302 302 | 302 302 302 302 | 302 302 302 302 302 | 302 302 302",
    "budget/<str:code>/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "budget/<str:code>/compare/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "budget/<str:code>/explain/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "budget/rates/": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "confirm/<str:code>/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "confirm/<str:code>/check/": "200 404 404 | 200 404 | 200 403 404 404 | 200 403 403 404 404 | 403 403 403",
    "confirm/<str:code>/events/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "confirm/<str:code>/report/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "confirm/<str:code>/remind/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "confirm/<str:code>/request/": "200 404 404 | 200 404 | 200 403 404 404 | 200 403 403 404 404 | 403 403 403",
    "confirm/<str:code>/unlock-children/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "confirm/<str:code>/unlock-children/done/": "302 404 404 | 302 404 | 302 302 404 404 | 302 302 302 404 404 | 302 302 302",
    "confirm/<str:code>/unlock/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "healthz": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "i18n/setlang/": "302 302 302 | 302 302 | 302 302 302 302 | 302 302 302 302 302 | 302 302 302",
    "learners/<int:pk>/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "learners/<int:pk>/edit/": "200 404 404 | 200 404 | 403 403 404 404 | 403 403 403 404 404 | 403 403 403",
    "learners/<int:pk>/history/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "learners/<int:pk>/leave/": "200 404 404 | 200 404 | 403 403 404 404 | 403 403 403 404 404 | 403 403 403",
    "login/": "302 302 302 | 302 302 | 302 302 302 302 | 302 302 302 302 302 | 302 302 302",
    "logout/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "manage/organisations/": "403 403 403 | 403 403 | 403 403 403 403 | 403 403 403 403 403 | 200 200 200",
    "manage/users/": "403 403 403 | 403 403 | 403 403 403 403 | 403 403 403 403 403 | 200 200 200",
    "manage/users/passwords.csv": "403 403 403 | 403 403 | 403 403 403 403 | 403 403 403 403 403 | 302 302 302",
    "metrics": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "notifications/": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "o/<str:code>/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "o/<str:code>/export/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "o/<str:code>/export/headcounts/": "404 404 404 | 404 404 | 404 404 404 404 | 404 404 404 404 404 | 404 404 404",
    "o/<str:code>/export/jobs/<int:job_id>/": "404 404 404 | 404 404 | 404 404 404 404 | 404 404 404 404 404 | 404 404 404",
    "o/<str:code>/export/jobs/<int:job_id>/download/": "404 404 404 | 404 404 | 404 404 404 404 | 404 404 404 404 404 | 404 404 404",
    "o/<str:code>/export/learners/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "o/<str:code>/import/": "200 404 404 | 200 404 | 403 403 404 404 | 403 403 403 404 404 | 403 403 403",
    "o/<str:code>/import/<int:job_id>/": "404 404 404 | 404 404 | 403 403 404 404 | 403 403 403 404 404 | 403 403 403",
    "o/<str:code>/import/<int:job_id>/annotated.xlsx": "404 404 404 | 404 404 | 403 403 404 404 | 403 403 403 404 404 | 403 403 403",
    "o/<str:code>/import/<int:job_id>/confirm/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "o/<str:code>/import/<int:job_id>/progress/": "404 404 404 | 404 404 | 403 403 404 404 | 403 403 403 404 404 | 403 403 403",
    "o/<str:code>/import/template.xlsx": "200 404 404 | 200 404 | 403 403 404 404 | 403 403 403 404 404 | 403 403 403",
    "o/<str:code>/learners/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "o/<str:code>/learners/add/": "200 404 404 | 200 404 | 404 403 404 404 | 404 404 403 404 404 | 404 404 403",
    "o/<str:code>/learners/find/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "o/<str:code>/other-schools/": "404 404 404 | 404 404 | 200 404 404 404 | 404 200 404 404 404 | 404 404 404",
    "o/<str:code>/other-schools/<str:school_code>/close/": "404 404 404 | 404 404 | 200 404 404 404 | 404 403 404 404 404 | 404 404 404",
    "o/<str:code>/other-schools/<str:school_code>/reopen/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "o/<str:code>/other-schools/add/": "404 404 404 | 404 404 | 200 404 404 404 | 404 403 404 404 404 | 404 404 404",
    "o/<str:code>/other-schools/headcounts/": "404 404 404 | 404 404 | 200 404 404 404 | 404 200 404 404 404 | 404 404 404",
    "o/<str:code>/other-schools/import/": "403 404 404 | 403 404 | 200 404 404 404 | 403 403 403 404 404 | 403 403 403",
    "o/<str:code>/promotion/": "200 404 404 | 200 404 | 404 403 404 404 | 404 404 403 404 404 | 404 404 403",
    "o/<str:code>/transfers/": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "o/<str:code>/transfers/request/": "200 404 404 | 200 404 | 404 403 404 404 | 404 404 403 404 404 | 404 404 403",
    "password/": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "promotions/<int:pk>/undo/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "readyz": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "rounds/": "404 404 404 | 404 404 | 404 404 404 404 | 404 404 404 404 404 | 200 200 200",
    "rounds/<int:round_id>/<str:action>/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "transfers/<int:pk>/approve/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "transfers/<int:pk>/reject/": "404 404 404 | 404 404 | 404 404 404 404 | 404 404 404 404 404 | 404 404 404",
    "unlock-requests/<int:request_id>/decide/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "account/": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "account/audit/": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "account/resets/": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "account/resets/<str:username>/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "account/sign-out-everywhere/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "account/two-factor/": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "account/two-factor/code/": "302 302 302 | 302 302 | 302 302 302 302 | 302 302 302 302 302 | 302 302 302",
    "account/two-factor/recovery-codes/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "confirm/<str:code>/print/": "200 404 404 | 200 404 | 200 200 404 404 | 404 200 200 404 404 | 404 404 200",
    "learners/address-lookup/": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "password/reset/": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "password/reset/<uidb64>/<token>/": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "password/reset/complete/": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "password/reset/sent/": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
}  # fmt: skip

# API operations as each role's bearer token. Columns as PAGES. The probe each sends is call_for() below: a
# well-formed request, so the answer is the gate's (403/404) or, past it, the rule's (200, 400, 409). The two
# uploads answer 400 to everyone: a JSON probe is not a multipart upload (api.md: a malformed body may answer 400
# before 403/404); their gate is covered by tests/students/test_import_api.py.
OPERATIONS: dict[str, str] = {
    "DELETE /api/v1/auth/token": "204 204 204 | 204 204 | 204 204 204 204 | 204 204 204 204 204 | 204 204 204",
    "GET /api/v1/budget": "400 404 404 | 400 404 | 400 400 404 404 | 400 400 400 404 404 | 400 400 400",
    "GET /api/v1/budget/export": "400 404 404 | 400 404 | 400 400 404 404 | 400 400 400 404 404 | 400 400 400",
    "GET /api/v1/headcounts": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "GET /api/v1/headcounts/export": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "GET /api/v1/jobs/{job_id}": "404 404 404 | 404 404 | 404 404 404 404 | 404 404 404 404 404 | 404 404 404",
    "GET /api/v1/jobs/{job_id}/download": "404 404 404 | 404 404 | 404 404 404 404 | 404 404 404 404 404 | 404 404 404",
    "GET /api/v1/learners/{learner_id}": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "GET /api/v1/me": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "GET /api/v1/organisations/{code}": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "GET /api/v1/organisations/{code}/children": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "GET /api/v1/organisations/{code}/confirmation": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "GET /api/v1/organisations/{code}/events": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "GET /api/v1/organisations/{code}/learners": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "GET /api/v1/organisations/{code}/learners/export": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "GET /api/v1/organisations/{code}/other-schools": "404 404 404 | 404 404 | 200 404 404 404 | 404 200 404 404 404 | 404 404 404",
    "GET /api/v1/other-schools/{code}/headcounts": "404 404 404 | 404 404 | 200 200 404 200 | 200 200 200 200 200 | 200 200 200",
    "GET /api/v1/rounds": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "GET /api/v1/transfers": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "GET /api/v1/unlock-requests": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "PATCH /api/v1/learners/{learner_id}": "409 404 404 | 409 404 | 403 403 404 404 | 403 403 403 404 404 | 403 403 403",
    "POST /api/v1/auth/token": "200 200 200 | 200 200 | 200 200 200 200 | 200 200 200 200 200 | 200 200 200",
    "POST /api/v1/jobs/{job_id}/confirm": "404 404 404 | 404 404 | 404 404 404 404 | 404 404 404 404 404 | 404 404 404",
    "POST /api/v1/learners/{learner_id}/leave": "400 404 404 | 400 404 | 403 403 404 404 | 403 403 403 404 404 | 403 403 403",
    "POST /api/v1/organisations/{code}/confirm": "200 404 404 | 200 404 | 409 403 404 404 | 409 403 403 404 404 | 403 403 403",
    "POST /api/v1/organisations/{code}/learners": "201 404 404 | 400 404 | 403 403 404 404 | 403 403 403 404 404 | 403 403 403",
    "POST /api/v1/organisations/{code}/learners/export-jobs": "202 404 404 | 202 404 | 202 202 404 404 | 202 202 202 404 404 | 202 202 202",
    "POST /api/v1/organisations/{code}/learners/import": "400 400 400 | 400 400 | 400 400 400 400 | 400 400 400 400 400 | 400 400 400",
    "POST /api/v1/organisations/{code}/learners/import-jobs": "400 400 400 | 400 400 | 400 400 400 400 | 400 400 400 400 400 | 400 400 400",
    "POST /api/v1/organisations/{code}/unlock": "403 404 404 | 403 404 | 403 409 404 404 | 403 409 403 404 404 | 403 409 403",
    "POST /api/v1/organisations/{code}/unlock-children": "200 404 404 | 200 404 | 200 200 404 404 | 200 200 200 404 404 | 200 200 200",
    "POST /api/v1/organisations/{code}/unlock-requests": "409 404 404 | 409 404 | 409 403 404 404 | 409 403 403 404 404 | 403 403 403",
    "POST /api/v1/rounds": "403 403 403 | 403 403 | 403 403 403 403 | 403 403 403 403 403 | 201 409 409",
    "POST /api/v1/rounds/{round_id}/close": "403 403 403 | 403 403 | 403 403 403 403 | 403 403 403 403 403 | 409 409 409",
    "POST /api/v1/rounds/{round_id}/open": "403 403 403 | 403 403 | 403 403 403 403 | 403 403 403 403 403 | 409 409 409",
    "POST /api/v1/transfers": "409 404 404 | 400 404 | 404 403 404 404 | 404 404 403 404 404 | 404 404 403",
    "POST /api/v1/transfers/{transfer_id}/approve": "404 404 404 | 404 404 | 404 404 404 404 | 404 404 404 404 404 | 404 404 404",
    "POST /api/v1/transfers/{transfer_id}/reject": "404 404 404 | 404 404 | 404 404 404 404 | 404 404 404 404 404 | 404 404 404",
    "POST /api/v1/unlock-requests/{request_id}/approve": "404 404 404 | 404 404 | 404 404 404 404 | 404 404 404 404 404 | 404 404 404",
    "POST /api/v1/unlock-requests/{request_id}/reject": "404 404 404 | 404 404 | 404 404 404 404 | 404 404 404 404 404 | 404 404 404",
    "PUT /api/v1/other-schools/{code}/headcounts": "404 404 404 | 404 404 | 200 200 404 200 | 403 403 403 403 403 | 403 403 403",
}  # fmt: skip

# The other-affiliation school an /other-schools/{code} operation names, for the organisation of the relation.
OTHER_OF = {"school1": "other1", "school2": "other1", "cdc1": "other1", "school3": "other2", "lao1": "other1",
            "lao2": "other2", "p1": "other1", "p2": "other2", "dept": "other2"}  # fmt: skip


def call_for(operation: str, world, role: str, relation: str):
    """(method, path, body) of the probe: a well-formed request, so the answer shows the gate, not the parser."""
    method, template = operation.split(" ", 1)
    tree, round_ = world["tree"], world["round"]
    org_name, learner_at = RELATIONS[role][relation]
    code = getattr(tree, org_name).code
    if template.startswith("/api/v1/other-schools/"):
        template = template.replace("{code}", getattr(tree, OTHER_OF[org_name]).code)
    path = fill(template, world, role, relation, braces=True)
    path = (
        path.replace("{transfer_id}", "999999")
        .replace("{job_id}", "999999")
        .replace("{request_id}", "999999")
    )
    if template.startswith("/api/v1/rounds/"):
        path = path.replace(f"/rounds/{round_.pk}/", f"/rounds/{world['closed_round'].pk}/")
    query = {
        "GET /api/v1/budget": f"?round={round_.pk}&organisation={code}",
        "GET /api/v1/budget/export": f"?round={round_.pk}&organisation={code}&format=csv&level=lao",
        "GET /api/v1/headcounts": f"?round={round_.pk}&organisation={code}",
        "GET /api/v1/headcounts/export": f"?round={round_.pk}&organisation={code}&format=csv&level=lao",
        "GET /api/v1/organisations/{code}/learners/export": "?format=csv",
        "POST /api/v1/organisations/{code}/learners/export-jobs": "?format=csv",
    }.get(operation, "")
    if operation.split(" ", 1)[1] in ("/api/v1/other-schools/{code}/headcounts",) or operation.endswith(
        ("/confirmation", "/events")
    ):
        query = f"?round={round_.pk}"
    learner = world["learners"][learner_at]
    body = {
        "POST /api/v1/auth/token": {"username": tree.users[ROLE_USER[role]].username, "password": PASSWORD},
        "PUT /api/v1/other-schools/{code}/headcounts": {"closed": False, "counts": []},
        "POST /api/v1/organisations/{code}/learners": learner_input(),
        "PATCH /api/v1/learners/{learner_id}": {"version": 999, "room": "2"},
        "POST /api/v1/learners/{learner_id}/leave": {"reason": "graduated", "left_on": "2000-01-01"},
        "POST /api/v1/transfers": {
            "identity": learner.national_id,
            "to_organisation": code,
            "class_level": "p1",
        },
        "POST /api/v1/transfers/{transfer_id}/reject": {"reason": "ไม่ใช่"},
        "POST /api/v1/rounds": {
            "academic_year": 2571,
            "term": 1,
            "census_date": "2028-06-10",
            "opens_at": "2028-05-01T00:00:00+07:00",
            "closes_at": "2028-06-30T00:00:00+07:00",
        },
        "POST /api/v1/organisations/{code}/confirm": {"round": round_.pk, "scope": "learners"},
        "POST /api/v1/organisations/{code}/unlock": {
            "round": round_.pk,
            "scope": "learners",
            "reason": "แก้ไข",
        },
        "POST /api/v1/organisations/{code}/unlock-children": {
            "round": round_.pk,
            "codes": [],
            "reason": "แก้ไข",
        },
        "POST /api/v1/organisations/{code}/unlock-requests": {
            "round": round_.pk,
            "scope": "learners",
            "reason": "แก้ไข",
        },
        "POST /api/v1/unlock-requests/{request_id}/reject": {"reason": "ไม่ใช่"},
    }.get(operation)
    return method.lower(), path + query, body


def page_routes(patterns=None, prefix=""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from page_routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            if not route.startswith(("admin/", "api/v1/", "^api/v1/")):
                yield route


def api_operations():
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method in operations:
            yield f"{method.upper()} {path}"


def line(statuses: list[int]) -> str:
    """Statuses in COLUMNS order, grouped per role as in the tables."""
    groups, i = [], 0
    for relations in RELATIONS.values():
        groups.append(" ".join(str(s) for s in statuses[i : i + len(relations)]))
        i += len(relations)
    return " | ".join(groups)


@pytest.fixture
def world(db):
    tree = OrgTree.build()
    round_ = RoundFactory()
    closed_round = RoundFactory(academic_year=2568, state="closed")
    learners = {n: make_learner(getattr(tree, n)) for n in ("school1", "school2", "school3", "school4")}
    learners["cdc1"] = make_learner(tree.cdc1, class_level="cdc2")
    return {"tree": tree, "round": round_, "closed_round": closed_round, "learners": learners}


def fill(template: str, world, role: str, relation: str, braces=False) -> str:
    tree = world["tree"]
    org_name, learner_at = RELATIONS[role][relation]
    values = {
        "code": getattr(tree, org_name).code,
        "pk": world["learners"][learner_at].pk,
        "learner_id": world["learners"][learner_at].pk,
        "school_code": tree.other1.code,
        "round_id": world["round"].pk,
        "action": "open",
    }
    for name, value in values.items():
        template = template.replace(f"{{{name}}}" if braces else f"<str:{name}>", str(value))
        template = template.replace(f"<int:{name}>", str(value))
    return template.replace("<int:job_id>", "999999").replace("<int:request_id>", "999999")


def test_every_page_route_has_a_line():
    routes = set(page_routes())
    assert not routes - set(PAGES), f"routes without a line: {sorted(routes - set(PAGES))}"
    assert not set(PAGES) - routes, f"lines for routes that no longer exist: {sorted(set(PAGES) - routes)}"


@pytest.mark.parametrize("route", sorted(set(PAGES) | set(page_routes())))
def test_page(route, world, client):
    statuses = []
    for role, relation in COLUMNS:
        client.force_login(world["tree"].users[ROLE_USER[role]])
        statuses.append(client.get("/" + fill(route, world, role, relation)).status_code)
    assert line(statuses) == PAGES.get(route), f'"{route}": "{line(statuses)}",'


def test_every_api_operation_has_a_line():
    operations = set(api_operations())
    assert not operations - set(OPERATIONS), (
        f"operations without a line: {sorted(operations - set(OPERATIONS))}"
    )
    assert not set(OPERATIONS) - operations, (
        f"lines for operations gone: {sorted(set(OPERATIONS) - operations)}"
    )


@pytest.mark.parametrize("operation", sorted(set(OPERATIONS) | set(api_operations())))
def test_operation(operation, world, api):
    statuses = []
    for role, relation in COLUMNS:
        user = world["tree"].users[ROLE_USER[role]]
        method, path, body = call_for(operation, world, role, relation)
        if method in ("get", "delete"):
            response = getattr(api, method)(path, user=user)
        else:
            response = getattr(api, method)(path, body, user=user)
        if operation == "DELETE /api/v1/auth/token":
            api.tokens.pop(user.username, None)  # revoked: the next call signs in again
        statuses.append(response.status_code)
    assert line(statuses) == OPERATIONS.get(operation), f'"{operation}": "{line(statuses)}",'
