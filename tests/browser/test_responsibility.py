"""A hospital coordinator opens the responsibility table, filters it, and sees only their own pairings;
a supervisor filters the whole city and downloads the annex-1 workbook."""

import io

import openpyxl
import pytest

from tests.browser import login, shot
from yilian.accounts.demo_users import DEMO_PASSWORD, create_demo_users
from yilian.network.models import Institution, Region

pytestmark = pytest.mark.browser

WUDANG_SY1 = {
    "乌当区新光路街道新光社区", "乌当区观溪路街道金江苑社区", "乌当区龙广路街道新云社区", "乌当区高新路街道春天社区",
}


@pytest.fixture
def demo(guiyang):
    create_demo_users()
    return guiyang


def _pilots_on_screen(page) -> set[str]:
    cells = page.locator("#responsibility-table tbody tr td:nth-last-child(3) a, "
                         "#responsibility-table tbody tr td a[href*='/pilots/']").all_inner_texts()
    return {text.split(". ", 1)[-1] for text in cells}


def _hospitals_on_screen(page) -> set[str]:
    return set(page.locator("#responsibility-table td.hospital-cell a").all_inner_texts())


def test_coordinator_sees_only_own_pairings_and_filters(page, live_server, transactional_db, demo):
    login(page, live_server, "sy1_coordinator", DEMO_PASSWORD)
    shot(page, "home-coordinator")
    page.click("nav.mainnav details.menu:has(a[href='/responsibility/']) summary")
    page.click("nav.mainnav a[href='/responsibility/']")
    page.wait_for_selector("#responsibility-table")
    shot(page, "responsibility-coordinator")
    assert _pilots_on_screen(page) == WUDANG_SY1
    assert _hospitals_on_screen(page) == {"市一医"}

    # the filters offer only what the coordinator may see
    districts = page.locator("#filter-district option").all_inner_texts()
    assert "乌当区" in districts and "白云区" not in districts

    # filtering updates the table in place (htmx) and keeps the URL shareable
    wudang = Region.objects.get(name="乌当区", level=Region.Level.DISTRICT)
    with page.expect_response(lambda r: "/responsibility/?" in r.url):
        page.select_option("#filter-district", str(wudang.pk))
    page.wait_for_function("location.search.includes('district=')")
    assert _pilots_on_screen(page) == WUDANG_SY1
    shot(page, "responsibility-coordinator-filtered")

    # a hospital the coordinator does not work for cannot be forced through the URL
    other = Institution.objects.get(short_name="市二医")
    page.goto(f"{live_server.url}/responsibility/?hospital={other.pk}")
    assert _hospitals_on_screen(page) == {"市一医"}


def test_supervisor_filters_city_table_and_exports(page, live_server, transactional_db, demo):
    login(page, live_server, "gy_supervisor", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/responsibility/")
    assert len(_pilots_on_screen(page)) == 41
    shot(page, "responsibility-city")
    sy2 = Institution.objects.get(short_name="市二医")
    with page.expect_response(lambda r: "hospital=" in r.url):
        page.select_option("#filter-hospital", str(sy2.pk))
    page.wait_for_function("location.search.includes('hospital=')")
    assert _hospitals_on_screen(page) == {"市二医"}
    assert len(_pilots_on_screen(page)) == 5
    with page.expect_download() as download_info:
        page.goto(f"{live_server.url}/responsibility/")
        page.click("#export-xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(download_info.value.path().read_bytes())).active
    numbered = [c.value for c in sheet["C"] if c.value and str(c.value)[0].isdigit()]
    assert len(numbered) == 41
