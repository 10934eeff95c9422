"""The demo is annex 1 of the Guiyang notice: 10 districts, 41 pilots, 18 hospitals, paired as the table says."""

import io

import openpyxl
import pytest
from django.test import Client

from yilian.accounts.demo_users import DEMO_USERS, create_demo_users
from yilian.network.demo_loader import inferred_cells, load_guiyang, read_demo
from yilian.network.models import Institution, Liaison, Pairing, PilotCommunity, Region

# Read off the seed (shared/seeds/000_…txt), district by district: (district, pilots, hospitals named)
ANNEX_1 = {
    "云岩区": (3, {"市公共卫生救治中心", "省妇幼保健院"}),
    "南明区": (5, {"市三医", "市四医", "市口腔医院"}),
    "花溪区": (7, {"花溪区人民医院", "花溪区中医院"}),
    "乌当区": (5, {"市一医", "乌当区人民医院"}),
    "白云区": (5, {"市二医", "白云区人民医院"}),
    "观山湖区": (5, {"市二医", "市妇幼保健院"}),
    "清镇市": (3, {"清镇市中医院", "清镇市第一人民医院"}),
    "修文县": (3, {"修文县人民医院"}),
    "息烽县": (2, {"息烽县人民医院"}),
    "开阳县": (3, {"开阳县人民医院", "开阳县中西医结合医院"}),
}


def test_demo_has_the_whole_annex(guiyang):
    assert guiyang["pilots"] == 41
    assert Region.objects.filter(level=Region.Level.DISTRICT).count() == 10
    hospitals = Institution.objects.filter(kind__in=Institution.HOSPITAL_KINDS)
    assert hospitals.count() == 18
    assert set(hospitals.values_list("short_name", flat=True)) == {h["short"] for h in read_demo()["hospitals"]}
    assert Liaison.objects.count() == 18


@pytest.mark.parametrize("district", ANNEX_1)
def test_each_district_is_paired_as_annex_1_says(guiyang, district):
    pilots_expected, hospitals_expected = ANNEX_1[district]
    region = Region.objects.get(name=district, level=Region.Level.DISTRICT)
    pilots = list(PilotCommunity.objects.filter(region__path__startswith=region.path))
    assert len(pilots) == pilots_expected
    # the pilots' ids, not their query as a subquery: after the tests before it PostgreSQL's statistics
    # can be those of empty tables, and the nested subquery then took ~70 s per district
    hospitals = set(
        Pairing.objects.filter(pilots__in=[p.pk for p in pilots]).values_list("hospital__short_name", flat=True)
        .distinct()
    )
    assert hospitals == hospitals_expected
    for pilot in pilots:
        assert pilot.pairings.exists(), f"{pilot} has no assisting hospital"
        assert pilot.serving_institutions.exists(), f"{pilot} has no serving institution"


def test_rows_read_directly_from_the_seed(guiyang):
    def hospital_of(pilot_name):
        return {p.hospital.short_name for p in Pairing.objects.filter(pilots__name=pilot_name)}

    assert hospital_of("云岩区盐务街街道金仓社区") == {"省妇幼保健院"}
    assert hospital_of("南明区西湖路街道南明堂社区") == {"市口腔医院"}
    assert hospital_of("乌当区新创路街道新业社区") == {"乌当区人民医院"}
    assert hospital_of("清镇市青龙山街道明珠社区") == {"清镇市第一人民医院"}
    assert hospital_of("开阳县硒城街道中山社区") == {"开阳县中西医结合医院"}
    village = Institution.objects.get(name="城关镇东山村第十七卫生室")
    assert village.kind == Institution.Kind.VILLAGE_CLINIC
    assert village.parent.name == "开阳县城关镇卫生院"


def test_inferred_cells_are_recorded_with_reasons(guiyang):
    cells = inferred_cells()
    assert len(cells) >= 30
    assert all(len(reason) > 20 for _pilot, _column, reason in cells)
    # the reasoning reaches the screen: the pilot and its pairing carry it
    pilot = PilotCommunity.objects.get(name="乌当区龙广路街道新云社区")
    assert "龙广社区卫生服务中心" in pilot.notes
    assert "龙广" in Pairing.objects.get(pilots=pilot).source_note


def test_loading_twice_changes_nothing(guiyang):
    before = load_guiyang()
    assert before == guiyang


def test_demo_users_cover_every_role_and_can_log_in(guiyang):
    from yilian.accounts.demo_users import DEMO_PASSWORD

    create_demo_users()
    for username, *_ in DEMO_USERS:
        client = Client()
        response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200


def test_responsibility_export_has_annex_1_layout(guiyang):
    create_demo_users()
    client = Client()
    client.force_login(_user("gy_supervisor"))
    response = client.get("/responsibility/export.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert "责任表" in sheet["A1"].value
    headers = ["序号", "区(市、县)", "申报建设单位", "提供服务的基层医疗机构", "帮扶责任单位"]
    assert [c.value for c in sheet[2]] == headers
    pilots = [sheet.cell(row=r, column=3).value for r in range(3, sheet.max_row + 1)]
    pilots = [p for p in pilots if p and p[0].isdigit()]
    assert len(pilots) == 41
    merged = {str(r) for r in sheet.merged_cells.ranges}
    # 乌当区: one hospital cell merged over its first four pilots, as in the seed
    wudang_row = next(r for r in range(3, sheet.max_row + 1) if sheet.cell(row=r, column=2).value == "乌当区")
    assert f"E{wudang_row}:E{wudang_row + 3}" in merged
    assert sheet.cell(row=wudang_row, column=5).value == "市一医"
    assert sheet.cell(row=wudang_row + 4, column=5).value == "乌当区人民医院"


def _user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)
