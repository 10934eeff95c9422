"""The coordinator's demo path in a real browser: next month's roster from the agreements in one click,
unmet needs explained, pin an assignment, solve again, a doctor cancels and the roster is re-planned,
approve into the dispatch plan."""

import pytest

from tests.browser import login, shot
from tests.roster.conftest import MONTH, TODAY
from yilian.accounts.demo_users import DEMO_PASSWORD, create_demo_users
from yilian.network.demo_loader import load_guiyang
from yilian.roster.demo import load_roster_demo
from yilian.roster.models import RosterRule, RosterRun
from yilian.support.demo import load_support_demo

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_db(transactional_db, immediate_tasks):
    load_guiyang()
    create_demo_users()
    load_support_demo(TODAY)
    load_roster_demo(TODAY)


def _click(page, selector):
    with page.expect_navigation():
        page.click(selector)


def test_coordinator_rosters_next_month(page, live_server, demo_db):
    login(page, live_server, "sy1_coordinator", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/roster/?month={MONTH:%Y-%m}")
    assert page.locator("#roster-needs tbody tr").count() >= 3
    page.fill("input[name=time_limit]", "3")
    _click(page, "#solve")  # one click
    run = RosterRun.objects.latest("pk")
    assert page.locator("#run-status").inner_text() and run.status == RosterRun.Status.DONE
    why = page.locator("#run-unmet-needs td.why").all_inner_texts()
    assert any("150" in text for text in why)  # the clinic beyond the travel limit, explained
    shot(page, "roster-solved")

    _click(page, "#run-roster button.pin >> nth=0")
    assert RosterRule.objects.filter(kind="pin").count() == 1
    _click(page, "#resolve")
    again = RosterRun.objects.latest("pk")
    assert again.pk != run.pk and again.status == RosterRun.Status.DONE
    assert page.locator("#run-rules li").count() == 1

    doctor = page.locator("#cancel-doctor option").nth(0).get_attribute("value")
    page.select_option("#cancel-doctor", doctor)
    _click(page, "#cancel-replan")
    replan = RosterRun.objects.latest("pk")
    assert replan.kind == RosterRun.Kind.REPLAN and replan.status == RosterRun.Status.DONE
    assert page.locator("#run-changed").is_visible()
    assert page.locator(f"#run-roster tr[data-doctor='{doctor}']").count() == 0
    shot(page, "roster-replanned")

    _click(page, "#approve")
    replan.refresh_from_db()
    assert replan.status == RosterRun.Status.APPROVED
