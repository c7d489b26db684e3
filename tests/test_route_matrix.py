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
from tests.factories import OrgTree, RoundFactory, make_learner

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
    "confirm/<str:code>/request/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
    "confirm/<str:code>/unlock-children/": "405 405 405 | 405 405 | 405 405 405 405 | 405 405 405 405 405 | 405 405 405",
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
}  # fmt: skip

OPERATIONS: dict[str, str] = {}


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
    learners = {n: make_learner(getattr(tree, n)) for n in ("school1", "school2", "school3", "school4")}
    learners["cdc1"] = make_learner(tree.cdc1, class_level="cdc2")
    return {"tree": tree, "round": round_, "learners": learners}


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


@pytest.mark.parametrize("route", sorted(PAGES))
def test_page(route, world, client):
    statuses = []
    for role, relation in COLUMNS:
        client.force_login(world["tree"].users[ROLE_USER[role]])
        statuses.append(client.get("/" + fill(route, world, role, relation)).status_code)
    assert line(statuses) == PAGES[route], f'"{route}": "{line(statuses)}",'
