"""The remote-ECG demo path in a real browser: a township clinic uploads the DICOM ECG as an
emergency from a phone, the hub's expert sees it on the worklist with its 12-lead drawing, reports a
critical finding, the clinic is alerted and sends the green-channel referral from the report; the
turnaround view shows the case."""

import pytest

from tests.browser import login, shot
from tests.factories import PASSWORD
from tests.telehealth.factories import dicom_ecg, make_tele_net
from yilian.referrals.models import Referral
from yilian.telehealth.models import Study

pytestmark = pytest.mark.browser


@pytest.fixture
def net(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_tele_net()


def _wait_until(page, expression, seconds=10):
    """Poll from Python: page.wait_for_function evaluates strings in the page, which the CSP forbids."""
    import time

    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, expression
        page.wait_for_timeout(100)


def _click(page, selector):
    with page.expect_navigation():
        page.click(selector)


def test_remote_ecg_demo_path(phone_page, page, live_server, net):
    login(phone_page, live_server, net.clinic_user.username, PASSWORD)
    phone_page.goto(f"{live_server.url}/telehealth/new/")
    phone_page.select_option("#id_resident", str(net.resident.pk))
    phone_page.select_option("#id_modality", "ecg")
    phone_page.select_option("#id_urgency", "1")
    phone_page.fill("#id_question", "胸痛 40 分钟，大汗")
    phone_page.set_input_files("#id_files", files=[{"name": "ecg.dcm", "mimeType": "application/dicom",
                                                    "buffer": dicom_ecg()}])
    _click(phone_page, "#send-study")
    study = Study.objects.get()
    assert study.centre == net.hospital and study.urgency == 1
    assert phone_page.locator("svg.ecg-sheet").count() == 1

    login(page, live_server, net.leader.username, PASSWORD)
    page.goto(f"{live_server.url}/telehealth/worklist/")
    row = page.locator(f"#worklist-table a[href='/telehealth/studies/{study.pk}/'] >> nth=0")
    assert row.count() == 1
    assert page.locator("#worklist-table svg.ecg-strip").count() == 1  # lead II at a glance
    page.wait_for_function("document.querySelector('[data-clock-since]') !== null")
    shot(page, "telehealth-worklist")
    _click(page, f"#worklist-table a[href='/telehealth/studies/{study.pk}/'] >> nth=0")
    sheet = page.locator("svg.ecg-sheet")
    assert sheet.count() == 1 and sheet.bounding_box()["width"] > 800
    assert page.locator("svg.ecg-sheet text").all_text_contents()[:4] == ["I", "aVR", "V1", "V4"]
    _click(page, "#claim")
    page.fill("#id_findings", "窦性心律，II、III、aVF 导联 ST 段抬高 0.2–0.3 mV，I、aVL 导联 ST 段压低")
    page.fill("#id_conclusion", "急性下壁 ST 段抬高型心肌梗死")
    page.check("#id_critical")
    page.select_option("#id_recommendation", "green")
    shot(page, "telehealth-report-form")
    _click(page, "#sign-report")
    assert page.locator("#critical-banner").count() == 1

    phone_page.goto(f"{live_server.url}/")
    assert phone_page.locator("#unread-notices").inner_text().strip() != ""
    phone_page.goto(f"{live_server.url}/telehealth/studies/{study.pk}/")
    assert "急性下壁" in phone_page.locator("#critical-banner").inner_text()
    shot(phone_page, "telehealth-critical-at-clinic")
    phone_page.check("#id_consent")
    _click(phone_page, "#send-green-channel")
    referral = Referral.objects.get()
    assert referral.green_channel == net.chest_pain and referral.from_institution == net.clinic
    assert phone_page.url.endswith(f"/referrals/{referral.pk}/")

    page.context.clear_cookies()  # the same desk computer, now the commission's supervisor
    login(page, live_server, net.supervisor.username, PASSWORD)
    page.goto(f"{live_server.url}/telehealth/stats/")
    assert "急性下壁" in page.locator("#critical-table").inner_text()
    assert page.locator(f"#critical-table a[href='/referrals/{referral.pk}/']").count() == 1
    shot(page, "telehealth-turnaround")


def test_imaging_series_presets_and_slider(page, live_server, net):
    from tests.telehealth.factories import ct, study_kwargs, upload
    from yilian.telehealth import services

    study = services.study_create(**study_kwargs(net, modality="imaging", urgency=3, files=[
        upload(f"ct{n}.dcm", ct()) for n in range(2)])).obj
    login(page, live_server, net.leader.username, PASSWORD)
    page.goto(f"{live_server.url}/telehealth/studies/{study.pk}/")
    image = page.locator("#series-image")
    _wait_until(page, "document.getElementById('series-image').naturalWidth > 0")
    page.click("button.preset[data-preset='lung']")
    assert image.get_attribute("src").endswith("?preset=lung")
    page.fill("#series-index", "2")
    assert page.locator("#series-label").inner_text() == "2 / 2"
    assert image.get_attribute("src").endswith("?preset=lung") and image.get_attribute("alt") == "ct1.dcm"
    _wait_until(page, "document.getElementById('series-image').complete")
    shot(page, "telehealth-imaging")
