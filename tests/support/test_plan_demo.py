"""The support demo: idempotent, and its plan keeps every rule."""

from datetime import date

import pytest

from yilian.accounts.demo_users import create_demo_users
from yilian.support import calendar
from yilian.support.demo import PROGRAMME_NAME, load_support_demo
from yilian.support.models import Agreement, Assignment, Doctor, Programme, Title

TODAY = date(2026, 11, 22)


@pytest.fixture
def demo(guiyang):
    create_demo_users()
    return load_support_demo(TODAY)


def test_demo_is_idempotent_and_complete(demo):
    counts = (Programme.objects.count(), Agreement.objects.count(), Doctor.objects.count(), Assignment.objects.count())
    again = load_support_demo(TODAY)
    assert again["assignments"] == 0
    assert counts == (Programme.objects.count(), Agreement.objects.count(), Doctor.objects.count(),
                      Assignment.objects.count())
    programme = Programme.objects.get(name=PROGRAMME_NAME, year=2026)
    assert (programme.min_title, programme.period, programme.min_days, programme.max_days) == (
        Title.INTERMEDIATE, "month", 1, 2)
    assert programme.yearly_report_due == date(2026, 11, 30)
    assert Agreement.objects.count() == 40
    assert all(a.targets.count() == 3 for a in Agreement.objects.all())
    per_hospital = Doctor.objects.filter(licence_number__startswith="520100").values_list("hospital", flat=True)
    assert all(4 <= list(per_hospital).count(h) <= 6 for h in set(per_hospital))
    assert Doctor.objects.filter(title=Title.JUNIOR).exists()
    assert Doctor.objects.get(user__username="sy1_doctor").hospital.name == "贵阳市第一人民医院"


def test_demo_plan_keeps_the_rules(demo):
    planned = Assignment.objects.filter(status="planned").select_related("doctor", "agreement__programme",
                                                                         "agreement__pairing")
    assert planned.filter(date__gte=TODAY).exists()
    assert planned.filter(date__gte=date(2026, 12, 1)).exists()
    for a in planned:
        assert a.doctor.meets(a.agreement.programme.min_title)
        assert a.doctor.hospital_id == a.agreement.pairing.hospital_id
        assert a.agreement.start <= a.date <= a.agreement.end
        assert calendar.is_workday(a.date)
    days = {}
    for a in planned:
        days.setdefault((a.agreement.pairing.clinic_id, a.date.month), set()).add(a.date)
    assert max(len(d) for d in days.values()) <= 2
