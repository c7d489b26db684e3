"""Issue 12, hole 10: an organisation code with "/" (or other unsafe characters) merged tree paths and widened a
subtree; the loader refuses any code outside ^[A-Za-z0-9_-]{1,20}$."""

import pytest
from django.core.management import call_command
from django.utils import translation

from schools.models import Organisation

HEADER = "code,kind,name_th,name_en,parent_code,lao_type,affiliation\n"
BASE = "DLA,department,กรม,,,,\nP1,province,สถจ.หนึ่ง,,DLA,,\nL1,lao,อบต.หนึ่ง,,P1,sao,\n"


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["L1/S1", "../x", "a b", "x" * 21, "S1%00", "ก1"])
def test_unsafe_codes_are_refused_by_the_loader(tmp_path, capsys, code):
    path = tmp_path / "orgs.csv"
    path.write_text(HEADER + BASE + f"{code},school,โรงเรียน,,L1,,\n", encoding="utf-8")
    with translation.override("en"), pytest.raises(SystemExit):
        call_command("load_organisations", str(path))
    assert "letters, digits" in capsys.readouterr().err
    assert not Organisation.objects.exists()
