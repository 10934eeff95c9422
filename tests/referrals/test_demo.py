"""The referral demo: on the Guiyang demo, every stage of a referral is there to click, twice-safe."""

import pytest

from yilian.accounts.demo_users import create_demo_users
from yilian.familydoctor.demo import load_familydoctor_demo
from yilian.network.demo_loader import load_guiyang
from yilian.referrals.demo import load_referrals_demo
from yilian.referrals.models import FollowUpTask, GreenChannelType, Referral

pytestmark = pytest.mark.django_db


def test_demo_referrals_cover_every_stage_and_load_twice_safely():
    load_guiyang()
    create_demo_users()
    load_familydoctor_demo()
    assert load_referrals_demo()["referrals"] == 4
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert {"sent", "accepted", "referred_down"} <= statuses
    assert GreenChannelType.objects.filter(hub__name="贵阳市第一人民医院").count() == 5
    assert FollowUpTask.objects.exists()
    again = load_referrals_demo()
    assert again["referrals"] == 0 and Referral.objects.count() == 4
