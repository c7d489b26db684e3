"""The admin shows other-affiliation entries read-only; the demo seeds some entries in the open round, once."""

import io

import pytest

from accounts.models import User
from schools import demo
from schools.models import Organisation, OtherSchoolEntry
from schools.services import other_school_headcounts_save
from tests.factories import org
from tests.schools.test_other_services import make_round


def test_admin_lists_entries_but_cannot_add_change_or_delete(client, tree):
    rnd = make_round()
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, acting_user=None, entries={
        "9050100001": {"closed": False, "counts": [{"class_level": "p1", "male": 3, "female": 4}]}})  # fmt: skip
    admin = User.objects.create_superuser("root", "root@example.invalid", "x-pass-2569")
    client.force_login(admin)
    entry = OtherSchoolEntry.objects.get()
    assert client.get("/admin/schools/otherschoolentry/").status_code == 200
    page = client.get(f"/admin/schools/otherschoolentry/{entry.pk}/change/")
    assert page.status_code == 200 and 'name="closed"' not in page.content.decode()
    assert client.get("/admin/schools/otherschoolentry/add/").status_code == 403
    assert (
        client.post(f"/admin/schools/otherschoolentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert OtherSchoolEntry.objects.count() == 1


@pytest.mark.django_db
def test_demo_seeds_entries_once_and_only_in_an_open_round():
    from schools.models import Kind

    dla = org(Kind.DEPARTMENT, code="DLA")
    p = org(Kind.PROVINCE, dla, code="50")
    lao = org(Kind.LAO, p, code="5010305")
    for code in ("9050300001", "9050300002", "9050300003"):
        org(Kind.OTHER_SCHOOL, lao, code=code)
    out = io.StringIO()
    demo.seed(out)
    assert not OtherSchoolEntry.objects.exists() and "skipped" in out.getvalue()
    rnd = make_round()
    demo.seed(out)
    demo.seed(out)
    assert set(OtherSchoolEntry.objects.values_list("school__code", flat=True)) == {
        "9050300001",
        "9050300002",
    }
    assert OtherSchoolEntry.objects.filter(round=rnd).count() == 2
    Organisation.objects.filter(pk=lao.pk).update(other_schools_locked=True)
    demo.seed(out)
    assert OtherSchoolEntry.objects.count() == 2
