"""Issue 14 point 4: the progress sentence, the bar, the chart and the table count the same rows from one selector;
learners and other-affiliation headcounts are never added together."""

import json
import re

import pytest

from confirmations import selectors, services
from confirmations.selectors import home
from tests.confirmations.conftest import confirm, confirm_lao1, counts, enter

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def chart_of(html: str) -> dict:
    return json.loads(
        re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S)[1]
    )


def test_the_lao_sentence_chart_and_table_count_the_same_rows(tree, client, rnd):
    confirm(tree, rnd, "school1")
    services.unlock_request_create(acting_user=tree.users["school1"], round_id=rnd.pk, organisation=tree.school1,
                                   scope="learners", reason="แก้ชื่อ")  # fmt: skip
    enter(rnd, tree.other1, p1=(4, 4))
    html = login(client, tree.users["lao1"]).get(f"/confirm/{tree.lao1.code}/").content.decode()
    table_rows = html.split("<tbody>")[-1].split("</tbody>")[0].count("<tr>")
    assert table_rows == 4  # school1, school2, cdc1, other1
    sentence = html.split('data-testid="progress-text">')[1].split("</p>")[0]
    # the school awaiting an unlock is still confirmed (locked) in the sentence and in the chart
    assert "สถานศึกษายืนยันแล้ว 1 จาก 3 แห่ง" in sentence
    assert "โรงเรียนสังกัดอื่นกรอกแล้ว 1 จาก 1 แห่ง" in sentence
    chart = chart_of(html)
    by_label = {s["label"]: s["data"] for s in chart["series"]}
    names = chart["labels"]
    assert len(names) == table_rows
    assert by_label["ยืนยันแล้ว"][names.index(tree.school1.name_th)] == 1
    # the other-affiliation school is drawn as entered, never as confirmed
    assert by_label["ยืนยันแล้ว"][names.index(tree.other1.name_th)] == 0
    assert by_label["กรอกแล้ว (โรงเรียนสังกัดอื่น)"][names.index(tree.other1.name_th)] == 1
    assert all(sum(column) == 1 for column in zip(*by_label.values(), strict=True))  # each row drawn once
    assert sum(by_label["ยืนยันแล้ว"]) + sum(by_label["กรอกแล้ว (โรงเรียนสังกัดอื่น)"]) == 2


def test_learners_now_never_adds_other_affiliation_headcounts(tree, client, rnd):
    counts(tree.school1, p1=(3, 2))
    enter(rnd, tree.other1, p1=(100, 90))
    for viewer, org in (("lao1", tree.lao1), ("p1", tree.p1), ("dept", tree.dept)):
        board = selectors.dashboard(rnd, org)
        assert (board.live_total, board.other_total) == (5, 190), viewer
        html = login(client, tree.users[viewer]).get(f"/confirm/{org.code}/").content.decode()
        totals = html.split('data-testid="totals-text">')[1].split("</p>")[0]
        assert "นักเรียนขณะนี้ 5 คน" in totals and "(นับแยก): 190" in totals and "195" not in totals, viewer


def test_the_province_counts_every_lao_row_once(tree, client, rnd):
    confirm_lao1(tree, rnd)
    board = selectors.dashboard(rnd, tree.p1)
    progress = home.progress(board)
    assert progress.rows + progress.idle == len(board.children)
    # lao1 still has other-affiliation headcounts to confirm: not counted as done until both scopes are
    assert progress.done == 0
    enter(rnd, tree.other1, p1=(1, 1))
    confirm(tree, rnd, "lao1", scope="other_schools")
    assert home.progress(selectors.dashboard(rnd, tree.p1)).done == 1
