"""Indicators, their targets and weights are the city's: a district's supervisor cannot change them."""

from datetime import date

import pytest

from tests.factories import UserFactory
from yilian.indicators import selectors
from yilian.indicators.models import Indicator, Pack, Target

FORM = {"code": "mine", "name_zh": "自加指标", "name_en": "Mine", "unit": "家", "direction": "at_least",
        "source_sentence": "自定", "target_value": "2", "deadline": "2030-12-31",
        "query": "numerator: {model: network.Institution, by: id}"}


@pytest.fixture
def indicator(town):
    pack = Pack.objects.create(slug="city-pack", title_zh="市指标", title_en="City pack", city="测试市",
                               seed_file="000_test.txt", version="1", start=date(2021, 1, 1))
    indicator = Indicator.objects.create(
        pack=pack, code="mine", name_zh="自加", name_en="Mine", unit="家", shipped=False, source_sentence="-",
        definition={"query": {"numerator": {"model": "network.Institution", "by": "id"}}})
    Target.objects.create(indicator=indicator, value=5, deadline=date(2030, 12, 31))
    return indicator


def _snapshot(indicator):
    indicator.refresh_from_db()
    return (indicator.name_zh, indicator.weight, [(t.value, t.deadline) for t in indicator.targets.all()],
            Indicator.objects.count())


def test_a_district_supervisor_cannot_edit_add_or_weigh(client, town, indicator):
    client.force_login(town.district_supervisor)
    before = _snapshot(indicator)
    form = FORM | {"pack": indicator.pack_id}
    assert client.get(f"/indicators/{indicator.pk}/edit/").status_code == 404
    assert client.post(f"/indicators/{indicator.pk}/edit/", form).status_code == 404
    assert client.post(f"/indicators/{indicator.pk}/weight/", {"weight": "9"}).status_code == 404
    assert client.get("/indicators/new/").status_code == 404
    assert client.post("/indicators/new/", form | {"code": "district-own"}).status_code == 404
    assert _snapshot(indicator) == before
    detail = client.get(f"/indicators/{indicator.pk}/").content.decode()  # still readable, without the controls
    assert f"/indicators/{indicator.pk}/weight/" not in detail and f"/indicators/{indicator.pk}/edit/" not in detail
    assert "/indicators/new/" not in client.get("/indicators/packs/").content.decode()


def test_the_city_supervisor_edits_and_weighs(client, town, indicator, django_capture_on_commit_callbacks):
    client.force_login(town.supervisor)
    detail = client.get(f"/indicators/{indicator.pk}/?region={town.city.pk}").content.decode()
    assert f"/indicators/{indicator.pk}/weight/" in detail and f"/indicators/{indicator.pk}/edit/" in detail
    assert "/indicators/new/" in client.get("/indicators/packs/").content.decode()
    assert client.get("/indicators/new/").status_code == 200
    assert client.post(f"/indicators/{indicator.pk}/weight/", {"weight": "9"}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/indicators/{indicator.pk}/edit/", FORM | {"pack": indicator.pack_id})
    assert response.status_code == 302
    name, weight, targets, _count = _snapshot(indicator)
    assert (name, float(weight), [float(v) for v, _d in targets]) == ("自加指标", 9, [2])


def test_who_may_edit(town):
    admin = UserFactory(is_superuser=True)
    assert selectors.can_edit_indicators(admin) and selectors.can_edit_indicators(town.supervisor)
    for user in (town.district_supervisor, town.coordinator, town.clinic_staff):
        assert not selectors.can_edit_indicators(user), user
