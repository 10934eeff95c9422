"""The green-channel demo path: a township clinic sends a chest-pain referral from a phone, the hub's
duty desk accepts it, records arrival and admission within the hour, refers the patient down, and
the clinic's follow-up task appears."""

import pytest

from tests.browser import login, shot
from tests.factories import PASSWORD
from tests.referrals.factories import PDF, make_net
from yilian.referrals.models import FollowUpTask, Referral

pytestmark = pytest.mark.browser


@pytest.fixture
def net(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_net()


def _click(page, selector):
    with page.expect_navigation():
        page.click(selector)


def test_green_channel_demo_path(phone_page, page, live_server, net):
    login(phone_page, live_server, net.clinic_user.username, PASSWORD)
    phone_page.goto(f"{live_server.url}/referrals/new/")
    phone_page.select_option("#id_resident", str(net.resident.pk))
    phone_page.select_option("#id_department", str(net.cardiology.pk))
    phone_page.select_option("#id_green_channel", str(net.chest_pain.pk))
    phone_page.fill("#id_icd_code", "I21.9")
    phone_page.fill("#id_reason", "持续胸痛40分钟，心电图ST段抬高")
    phone_page.set_input_files("#id_attachments", files=[{"name": "ecg.pdf", "mimeType": "application/pdf",
                                                          "buffer": PDF}])
    phone_page.check("#id_consent")
    shot(phone_page, "referral-new-green-channel")
    _click(phone_page, "#send-referral")
    referral = Referral.objects.get()
    assert referral.green_channel_id == net.chest_pain.pk and referral.attachments.count() == 1

    login(page, live_server, net.desk_user.username, PASSWORD)
    page.goto(f"{live_server.url}/referrals/desk/")
    assert page.locator("#desk-table tr.green-channel").count() == 1
    page.wait_for_function("document.querySelector('[data-clock-since]') !== null")
    shot(page, "referral-duty-desk")
    page.click(f"#desk-table a[href='/referrals/{referral.pk}/'] >> nth=0")
    page.wait_for_url(f"**/referrals/{referral.pk}/")
    page.fill("#id_bed", "CCU-3")
    _click(page, "#accept")
    _click(page, "#arrive")
    _click(page, "#admit")
    clock = page.locator("#green-clock .clock")
    assert "bad" not in clock.get_attribute("class")  # green: admitted within 60 minutes
    assert "60 分钟内入院" in clock.inner_text()  # the page is in Chinese, the default language
    page.fill("#id_discharge_summary", "急性下壁心肌梗死，PCI术后，病情稳定")
    page.fill("#id_medication", "阿司匹林 100mg qd；氯吡格雷 75mg qd")
    page.fill("#id_follow_up_instructions", "7天内随访血压、心率")
    _click(page, "#refer-down")
    shot(page, "referral-down")
    assert page.locator("#accept").count() == 0  # only the clinic takes the patient back
    down = Referral.objects.get(direction="down")

    phone_page.goto(f"{live_server.url}/referrals/{down.pk}/")
    _click(phone_page, "#accept")
    phone_page.goto(f"{live_server.url}/referrals/follow-ups/")
    task = FollowUpTask.objects.get()
    assert phone_page.locator("#follow-up-table").inner_text().count(task.due.strftime("%Y-%m-%d")) == 1
    shot(phone_page, "referral-follow-ups")
