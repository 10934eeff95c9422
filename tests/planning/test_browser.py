"""The map page in Debian's chromium: network, facilities, uncovered H3 cells and proposed sites are
drawn without any tile server, and a what-if (a new facility on a proposed site) changes coverage."""

import pytest

from tests.browser import login, shot
from tests.factories import PASSWORD
from tests.planning.factories import make_area
from yilian.planning import services
from yilian.planning.models import Scenario

pytestmark = pytest.mark.browser


@pytest.fixture
def scenario(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    area = make_area()
    done = services.scenario_start(by=area.supervisor, data={"name": "南明区 一刻钟健康圈", "region": area.district,
                                                             "new_sites": 3, "source": Scenario.Source.GENERATED},
                                   language="zh-hans", run_now=True)
    assert done.status == Scenario.Status.DONE, done.message
    return area, done


def test_map_shows_cells_and_sites_and_answers_a_what_if(page, live_server, scenario):
    area, done = scenario
    login(page, live_server, area.supervisor.username, PASSWORD)
    page.goto(f"{live_server.url}/planning/{done.pk}/")
    shot(page, "planning-scenario-results")
    with page.expect_navigation():
        page.click("#planning-open-map")
    page.wait_for_selector("#planning-map[data-ready='1']")
    assert page.locator(".site-icon").count() == 3
    assert page.locator(".fac-icon").count() == 3
    assert page.locator("#planning-map path.leaflet-interactive").count() > 0 or page.locator("canvas").count() > 0
    before = float(page.get_attribute("#planning-map", "data-share"))
    assert abs(before - done.covered_share) < 1e-9
    shot(page, "planning-map")
    # open a facility where the first proposed site is: coverage must go up
    page.click("#whatif-add")
    site = page.locator(".site-icon").first.bounding_box()
    page.mouse.click(site["x"] + site["width"] / 2 + 1, site["y"] + site["height"] / 2 + 1)
    for _ in range(100):  # wait_for_function evaluates a string, which the CSP forbids
        if float(page.get_attribute("#planning-map", "data-share")) > before:
            break
        page.wait_for_timeout(100)
    assert float(page.get_attribute("#planning-map", "data-share")) > before
    assert page.locator(".fac-icon.added").count() == 1
    assert "1" in page.inner_text("#whatif-changes")
    shot(page, "planning-map-whatif")
