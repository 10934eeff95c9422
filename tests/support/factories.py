"""factory_boy factories for counterpart support. Shared by every support test: extend, don't fork."""

from datetime import date, datetime, time

import factory
from django.utils import timezone

from tests.factories import PairingFactory, RegionFactory
from yilian.support.models import (
    Agreement,
    Assignment,
    Booking,
    Doctor,
    ExpertSession,
    Programme,
    Title,
    Visit,
    WorkItem,
)


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"千名医师万人次下基层{n}")
    region = factory.SubFactory(RegionFactory)
    year = 2026
    min_title = Title.INTERMEDIATE
    period = "month"
    min_days = 1
    max_days = 2
    yearly_report_due = date(2026, 11, 30)


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    pairing = factory.SubFactory(PairingFactory, end=None)
    programme = factory.SubFactory(ProgrammeFactory)
    start = date(2026, 1, 1)
    end = date(2026, 12, 31)
    goals = "提升常见病、慢性病诊疗能力"
    status = Agreement.Status.SIGNED
    signed_on = date(2026, 1, 5)
    required_specialties = "全科"


class DoctorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Doctor

    hospital = factory.SubFactory("tests.factories.HospitalFactory")
    name = factory.Sequence(lambda n: f"医生{n}")
    department = "心内科"
    specialty = "全科"
    title = Title.ASSOCIATE
    licence_number = factory.Sequence(lambda n: f"1105200{n:08d}")
    phone = "13800000000"


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    agreement = factory.SubFactory(AgreementFactory)
    doctor = factory.SubFactory(DoctorFactory, hospital=factory.SelfAttribute("..agreement.pairing.hospital"))
    date = date(2026, 11, 24)


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    pairing = factory.SubFactory(PairingFactory, end=None)
    doctor = factory.SubFactory(DoctorFactory, hospital=factory.SelfAttribute("..pairing.hospital"))
    date = date(2026, 11, 20)
    check_in_at = factory.LazyAttribute(
        lambda v: timezone.make_aware(datetime.combine(v.date, time(8, 30))))
    check_out_at = factory.LazyAttribute(
        lambda v: timezone.make_aware(datetime.combine(v.date, time(16, 30))))
    status = Visit.Status.CHECKED_OUT


class WorkItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkItem

    visit = factory.SubFactory(VisitFactory)
    kind = WorkItem.Kind.CLINIC_SESSION
    count = 12


class ExpertSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpertSession

    doctor = factory.SubFactory(DoctorFactory)
    clinic = factory.SubFactory("tests.factories.InstitutionFactory")
    date = date(2026, 11, 24)
    starts = time(9, 0)
    ends = time(11, 30)
    capacity = 10


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    session = factory.SubFactory(ExpertSessionFactory)
    code = factory.Sequence(lambda n: f"B{n:07d}")
    name = "张三"
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    reason = "高血压复诊"


# ----------------------------------------------------------------------------------------------
# Logins for the visits and studio tests (added by the visits/studio area).


def doctor_with_login(**kwargs):
    """A Doctor whose login holds the doctor membership at the doctor's hospital."""
    from tests.factories import user_with_role
    from yilian.accounts.models import Membership

    doctor = DoctorFactory(**kwargs)
    doctor.user = user_with_role(Membership.Role.DOCTOR, doctor.hospital)
    doctor.save()
    return doctor


def clinic_staff_of(clinic):
    from tests.factories import user_with_role
    from yilian.accounts.models import Membership

    return user_with_role(Membership.Role.CLINIC_STAFF, clinic)
