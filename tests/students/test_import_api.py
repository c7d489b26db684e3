"""The import over /api/v1 (the same reader and rules as the command and the browser)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from students.models import Learner
from tests.factories import RoundFactory
from tests.students.test_import import csv_bytes, row, xlsx


def post_file(client, api, org, user, data: bytes, name="learners.xlsx", dry_run=False):
    token = api.token(user)
    return client.post(
        f"/api/v1/organisations/{org.code}/learners/import" + ("?dry_run=true" if dry_run else ""),
        {"file": SimpleUploadedFile(name, data)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_api_import_dry_run_then_write(tree, api, client):
    data = xlsx([row(1), row(2)]).getvalue()
    r = post_file(client, api, tree.school1, tree.users["school1"], data, dry_run=True)
    assert r.status_code == 200, r.content
    assert (r.json()["created"], r.json()["written"]) == (2, False) and not Learner.objects.exists()
    r = post_file(client, api, tree.school1, tree.users["school1"], data)
    assert (r.json()["created"], r.json()["written"]) == (2, True)
    assert Learner.objects.count() == 2


def test_api_import_reports_problems_and_writes_nothing(tree, api, client):
    r = post_file(client, api, tree.school1, tree.users["school1"], csv_bytes([row(1, level="ป.9")]).getvalue(),
                  name="x.csv")  # fmt: skip
    body = r.json()
    assert r.status_code == 200 and body["written"] is False
    assert body["problems"][0]["row"] == 2 and body["problems"][0]["column"] == "ระดับชั้น"
    assert not Learner.objects.exists()


def test_api_import_refused_file_is_400_and_locked_is_409(tree, api, client):
    r = post_file(client, api, tree.school1, tree.users["school1"], b"\x00\x01binary", name="x.csv")
    assert r.status_code == 400 and "file" in r.json()["errors"]
    type(tree.school1).objects.filter(pk=tree.school1.pk).update(learners_locked=True)
    r = post_file(client, api, tree.school1, tree.users["school1"], xlsx([row(1)]).getvalue())
    assert r.status_code == 409 and r.json()["code"] == "confirmed_locked"


def test_api_import_permissions(tree, api, client):
    data = xlsx([row(1)]).getvalue()
    assert post_file(client, api, tree.school4, tree.users["school1"], data).status_code == 404
    assert post_file(client, api, tree.school1, tree.users["lao1"], data).status_code == 403
    assert not Learner.objects.exists()


def test_command_names_ignored_columns(tree, tmp_path, capsys):
    from django.core.management import call_command

    from tests.students.test_import import HEAD

    path = tmp_path / "x.xlsx"
    path.write_bytes(xlsx([[*row(1), "ฟ้า"]], head=[*HEAD, "สีที่ชอบ"]).getvalue())
    call_command("import_learners", tree.school1.code, str(path))
    out = capsys.readouterr()
    assert out.out.strip() == "created 1, updated 0, unchanged 0"
    assert "สีที่ชอบ" in out.err


def test_grid_import_wide_layout_csv(tree):
    import datetime as dt
    import io

    from django.utils import timezone

    from schools.grid_import import other_schools_import
    from schools.models import OtherSchoolEntry

    now = timezone.now()
    rnd = RoundFactory(academic_year=2569, term=1, opens_at=now, closes_at=now + dt.timedelta(days=3))
    text = "รหัส,ชื่อ,ป.1 ชาย,ป.1 หญิง,ป.1 รวม,ป.2 ชาย,ป.2 หญิง\r\n" + f"{tree.other1.code},x,3,4,7,,\r\n"
    saved = other_schools_import(lao=tree.lao1, round_=rnd, source=io.BytesIO(text.encode("cp874")),
                                 filename="grid.csv", acting_user=tree.users["lao1"])  # fmt: skip
    assert saved == 1
    entry = OtherSchoolEntry.objects.get(school=tree.other1, round=rnd)
    assert [(c.class_level, c.male, c.female) for c in entry.counts.all()] == [("p1", 3, 4)]
