"""E-mail through a real SMTP server, SMS through the adapter, retries, opt-out: deliveries with their status."""

import json
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.utils import timezone

from tests.factories import UserFactory
from yilian.notices import services
from yilian.notices.models import Delivery, OptOut

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server in a thread; Django's SMTP backend talks to it."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    yield handler
    controller.stop()


@pytest.fixture
def sms_file(settings, tmp_path):
    settings.YILIAN_SMS_BACKEND = "yilian.notices.sms.FileSmsBackend"
    settings.YILIAN_SMS_OPTIONS = {"path": str(tmp_path / "sms.log")}
    return tmp_path / "sms.log"


def _sms_lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_an_email_goes_through_smtp(smtp):
    (delivery,) = services.notify_contact(email="resident@example.org", kind="test.mail", text="明天上午9点就诊",
                                          subject="预约提醒")
    delivery = services.delivery_send(delivery.pk)
    assert delivery.status == Delivery.Status.SENT and delivery.sent_at
    ((to, content),) = smtp.messages
    assert to == ["resident@example.org"] and "Subject:" in content


def test_users_get_essential_notices_by_email_too(smtp):
    user = UserFactory(email="doctor@example.org")
    services.notify([user], kind="test.event", text="Referral accepted", dedupe_key="e1")
    services.notify([user], kind="test.tip", text="A tip", essential=False)
    assert services.deliver_due() == {"sent": 1}
    assert len(smtp.messages) == 1 and "Referral accepted" in smtp.messages[0][1]


def test_an_sms_goes_through_the_adapter_once_per_event(sms_file):
    services.notify_contact(phone="13812345678", kind="test.sms", text="预约成功", dedupe_key="b1")
    services.notify_contact(phone="13812345678", kind="test.sms", text="预约成功", dedupe_key="b1")
    assert services.deliver_due() == {"sent": 1}
    (line,) = _sms_lines(sms_file)
    assert line["to"] == "13812345678" and line["text"] == "预约成功"
    assert Delivery.objects.get().provider_id == line["id"]


def test_a_failure_is_logged_and_retried_until_it_gives_up(settings, sms_file):
    settings.YILIAN_SMS_OPTIONS = {**settings.YILIAN_SMS_OPTIONS, "fail": True}
    settings.YILIAN_NOTICE_MAX_ATTEMPTS = 3
    (delivery,) = services.notify_contact(phone="13812345678", kind="test.sms", text="x")
    now = timezone.now()
    delivery = services.delivery_send(delivery.pk, now)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 1)
    assert "provider unavailable" in delivery.last_error and delivery.next_attempt_at > now
    assert services.deliver_due(now) == {}  # not due yet
    later = delivery.next_attempt_at + timedelta(seconds=1)
    settings.YILIAN_SMS_OPTIONS = {**settings.YILIAN_SMS_OPTIONS, "fail": False}
    assert services.deliver_due(later) == {"sent": 1}
    assert _sms_lines(sms_file)[0]["text"] == "x"
    settings.YILIAN_SMS_OPTIONS = {**settings.YILIAN_SMS_OPTIONS, "fail": True}
    (other,) = services.notify_contact(phone="13900000000", kind="test.sms", text="y")
    for _ in range(3):
        other = services.delivery_send(other.pk, timezone.now() + timedelta(days=1))
    assert other.status == Delivery.Status.GAVE_UP and other.next_attempt_at is None


def test_an_smtp_server_that_is_down_is_retried(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens
    (delivery,) = services.notify_contact(email="a@example.org", kind="test.mail", text="x")
    delivery = services.delivery_send(delivery.pk)
    assert delivery.status == Delivery.Status.FAILED and "Connection" in delivery.last_error


def test_residents_opt_out_of_non_essential_notices_only(sms_file):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").post("/notices/opt-out/", {"address": "+86 138-1234-5678"})
    assert "no more non-essential messages" in page.content.decode()
    assert OptOut.objects.filter(channel="sms", address="13812345678").exists()
    services.notify_contact(phone="13812345678", kind="test.tip", text="健康小贴士", essential=False)
    services.notify_contact(phone="13812345678", kind="test.reminder", text="预约提醒")
    assert services.deliver_due() == {"opted_out": 1, "sent": 1}
    assert [line["text"] for line in _sms_lines(sms_file)] == ["预约提醒"]
    bad = Client(HTTP_ACCEPT_LANGUAGE="en").post("/notices/opt-out/", {"address": "12345"})
    assert "Enter a valid e-mail address" in bad.content.decode() and OptOut.objects.count() == 1


def test_the_command_sends_what_is_due(sms_file):
    from django.core.management import call_command

    services.notify_contact(phone="13812345678", kind="test.sms", text="z")
    call_command("deliver_notices")
    assert Delivery.objects.get().status == "sent"
