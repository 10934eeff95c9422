import pytest

from tests.factories import UserFactory
from yilian.notices.models import Notice
from yilian.notices.services import notify, unread_count

pytestmark = pytest.mark.django_db


def test_notify_reaches_each_recipient_once_per_event():
    alice, bob = UserFactory(), UserFactory()
    notify([alice, bob.pk, None], kind="test.event", text="Chest pain case", url="/referrals/1/", dedupe_key="ev-1")
    notify([alice], kind="test.event", text="Chest pain case", url="/referrals/1/", dedupe_key="ev-1")  # retried job
    assert Notice.objects.filter(dedupe_key="ev-1").count() == 2
    assert unread_count(alice) == 1 and unread_count(bob) == 1


def test_links_outside_yilian_are_dropped():
    user = UserFactory()
    (bad,) = notify([user], kind="test", text="x", url="javascript:alert(1)")
    (other_site,) = notify([user], kind="test", text="y", url="//evil.example/")
    assert bad.url == "" and other_site.url == ""


def test_inbox_shows_only_own_notices_and_marks_them_read(client):
    alice, bob = UserFactory(), UserFactory()
    notify([alice], kind="test", text="For Alice", url="/referrals/")
    notify([bob], kind="test", text="For Bob")
    client.force_login(alice)
    page = client.get("/notices/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "For Alice" in page and "For Bob" not in page
    assert unread_count(alice) == 0 and unread_count(bob) == 1
    assert "unread-notices" not in client.get("/notices/").content.decode()


def test_unread_count_shows_in_the_top_bar(client):
    user = UserFactory()
    notify([user], kind="test", text="one")
    notify([user], kind="test", text="two")
    client.force_login(user)
    page = client.get("/").content.decode()
    assert 'id="unread-notices">2<' in page
