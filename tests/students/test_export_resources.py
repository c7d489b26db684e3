"""django-import-export resources (admin exports): columns that load back, and audited admin exports."""

import csv
import io

from accounts.models import AuditLog
from students.resources import HeadcountResource, LearnerResource, OrganisationResource
from tests.students.test_export import add


def test_organisation_resource_has_load_organisations_columns(tree):
    dataset = OrganisationResource().export()
    rows = list(csv.DictReader(io.StringIO(dataset.csv)))
    assert list(rows[0]) == ["code", "kind", "name_th", "name_en", "parent_code", "lao_type", "affiliation",
                             "is_active"]  # fmt: skip
    by_code = {r["code"]: r for r in rows}
    assert by_code[tree.school1.code]["parent_code"] == tree.lao1.code and by_code["DLA"]["parent_code"] == ""


def test_learner_and_headcount_resources(tree):
    add(tree.school1, 2)
    learners = list(csv.DictReader(io.StringIO(LearnerResource().export().csv)))
    assert {r["organisation_code"] for r in learners} == {tree.school1.code}
    assert learners[0]["class_level_name"] == "ประถมศึกษาปีที่ 1"
    counts = list(csv.DictReader(io.StringIO(HeadcountResource().export().csv)))
    assert [(r["class_level"], r["dmc"], r["gender"], r["count"]) for r in counts] == [
        ("p1", "04", "male", "2")
    ]


def test_admin_export_is_audited(tree, admin_client):
    from django.contrib import admin

    from students.models import Learner

    add(tree.school1, 2)
    assert hasattr(admin.site._registry[Learner], "get_export_data")
    r = admin_client.post("/admin/students/learner/export/", {"format": "0", "resource": "0",
                                                              "learnerresource_id": True})  # fmt: skip
    assert r.status_code == 200
    assert AuditLog.objects.filter(action="admin_export").exists()


def test_organisation_admin_keeps_its_class_and_gains_export(tree, admin_client):
    from django.contrib import admin

    from schools.admin import OrganisationAdmin
    from schools.models import Organisation

    assert isinstance(admin.site._registry[Organisation], OrganisationAdmin)
    r = admin_client.post("/admin/schools/organisation/export/", {"format": "0", "resource": "0",
                                                                  "organisationresource_code": True})  # fmt: skip
    assert r.status_code == 200 and tree.school1.code.encode() in r.content
