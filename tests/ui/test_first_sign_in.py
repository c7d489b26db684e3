"""Issue 14 point 3: the forced password change at the first sign-in is Thai throughout: the initial password is
named and explained, the rules are listed, every error is ours, the inputs are styled like every other form."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(tree, client):
    user = tree.users["school1"]
    user.must_change_password = True
    user.set_password("initial-Pass-2569")
    user.save()
    client.force_login(user)
    return user


def test_the_forced_change_names_the_initial_password_and_lists_the_rules_in_thai(newcomer, client):
    r = client.get("/o/1050100001/")
    assert r.status_code == 302 and r.url == "/password/"
    html = client.get("/password/").content.decode()
    assert "รหัสผ่านเริ่มต้น" in html and "เอกสารที่เจ้าหน้าที่มอบให้" in html
    assert "ยาวอย่างน้อย 10 ตัวอักษร" in html and "ไม่ใช่ตัวเลขล้วน" in html
    assert html.count('class="form-control') >= 3
    for english in ("Old password", "Your password", "at least", "too common", "entirely numeric"):
        assert english not in html


@pytest.mark.parametrize(
    "new, error",
    [
        ("short1", "รหัสผ่านสั้นเกินไป ต้องยาวอย่างน้อย 10 ตัวอักษร"),
        ("1234567890123", "รหัสผ่านเป็นตัวเลขล้วน"),
        ("password123", "มีคนใช้กันมาก"),
        ("u_school1x", "ชื่อผู้ใช้"),
    ],
)
def test_each_rule_answers_in_thai(newcomer, client, new, error):
    r = client.post(
        "/password/", {"old_password": "initial-Pass-2569", "new_password1": new, "new_password2": new}
    )
    html = r.content.decode()
    assert r.status_code == 200 and error in html and "มีข้อผิดพลาด" in html


def test_a_wrong_initial_password_and_a_mismatch_answer_in_thai(newcomer, client):
    html = client.post(
        "/password/",
        {"old_password": "wrong", "new_password1": "Lampang-2569x", "new_password2": "Lampang-2569y"},
    ).content.decode()
    assert "รหัสผ่านปัจจุบันไม่ถูกต้อง" in html and "รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน" in html
    r = client.post(
        "/password/",
        {
            "old_password": "initial-Pass-2569",
            "new_password1": "Lampang-2569x",
            "new_password2": "Lampang-2569x",
        },
    )
    assert r.status_code == 302
    newcomer.refresh_from_db()
    assert not newcomer.must_change_password
