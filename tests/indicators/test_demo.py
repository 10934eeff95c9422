"""The demo: every pack loads on the Guiyang network and the indicators show values from the demo data."""

from django.utils import timezone

from yilian.accounts.demo_users import create_demo_users
from yilian.appointments.demo import load_appointments_demo
from yilian.indicators import selectors
from yilian.indicators.demo import load_indicators_demo
from yilian.indicators.models import HealthEducationActivity, Response
from yilian.network.models import Region


def test_demo_packs_show_values_from_the_demo_data(guiyang):
    create_demo_users()
    load_appointments_demo()  # the demo command loads it before the packs
    first = load_indicators_demo()
    assert first["packs"] == 5 and first["survey_answers"] == 60
    counts = (HealthEducationActivity.objects.count(), Response.objects.count())
    load_indicators_demo()  # safe to run twice
    assert counts == (HealthEducationActivity.objects.count(), Response.objects.count())

    city = Region.objects.get(name="贵阳市")
    lines = {line.indicator.code: line for group in selectors.dashboard(city, timezone.localdate())
             for line in group["lines"]}
    assert lines["pilots-built"].value == 41
    assert 50 < lines["satisfaction"].value < 100
    for code in ("tcm-elderly", "tcm-children", "childcare-pilot-places", "basic-standard", "health-cabins",
                 "further-study", "health-education-lectures", "health-education-boards"):
        assert lines[code].value is not None, code
    assert 0 < lines["full-appointment"].value < 100  # from 新天's booked and walk-in visits
    slugs = {group["pack"].slug for group in selectors.dashboard(city, timezone.localdate())}
    assert {"guiyang-sangan", "wuhai-15-minute-circle", "zhengzhou-community-health", "quangang-dispatch"} <= slugs
