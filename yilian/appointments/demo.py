"""Demo of full-appointment mode: 新天社区卫生服务中心 publishes its sessions, with three months of visits.

Illustrative data (names, phones); safe to run again (nothing is created twice).
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone

from yilian.familydoctor.models import Team
from yilian.network.models import Institution

from . import services
from .models import Booking, Schedule, Session, SessionType

CLINIC = "新天社区卫生服务中心"
SCHEDULES = [  # session type, weekdays, opens, closes, minutes per slot, places per slot
    (SessionType.GENERAL, "12345", time(8, 0), time(11, 30), 30, 6),
    (SessionType.GENERAL, "12345", time(14, 0), time(17, 0), 30, 6),
    (SessionType.TCM, "24", time(14, 0), time(16, 0), 30, 3),
    (SessionType.CHILD_HEALTH, "3", time(8, 30), time(11, 30), 30, 4),
    (SessionType.VACCINATION, "135", time(8, 30), time(11, 0), 30, 8),
]
SURNAMES = "王李张刘陈杨黄赵吴周"


def load_appointments_demo(today: date | None = None) -> dict:
    today = today or timezone.localdate()
    clinic = Institution.objects.filter(name=CLINIC).first()
    if clinic is None:
        return {"schedules": 0}
    with transaction.atomic():
        schedules = _schedules(clinic)
        opened = sum(services.schedule_publish(schedule=s, start=today, end=today + timedelta(days=13))
                     for s in schedules)
        visits = _past_visits(clinic, today)
    return {"schedules": len(schedules), "slots_opened": opened, "past_visits": visits}


def _schedules(clinic) -> list[Schedule]:
    rows = [Schedule.objects.get_or_create(clinic=clinic, session_type=kind, weekdays=days, starts=opens,
                                           defaults={"ends": closes, "slot_minutes": minutes, "capacity": places})[0]
            for kind, days, opens, closes, minutes, places in SCHEDULES]
    team = Team.objects.filter(clinic=clinic, active=True).first()
    if team is not None:  # the family-doctor team's session keeps two places for its contracted residents
        rows.append(Schedule.objects.get_or_create(
            clinic=clinic, session_type=SessionType.FAMILY_DOCTOR, team=team, weekdays="25", starts=time(9, 0),
            defaults={"ends": time(11, 0), "slot_minutes": 60, "capacity": 6, "priority_places": 2})[0])
    return rows


def _past_visits(clinic, today) -> int:
    """Three months of general-clinic mornings: the booked share climbs as the clinic moves to appointments."""
    if Session.objects.filter(clinic=clinic, date__lt=today, schedule__isnull=True).exists():
        return 0
    rng = random.Random(11)
    start = (today.replace(day=1) - timedelta(days=62)).replace(day=1)
    sessions = [Session(clinic=clinic, session_type=SessionType.GENERAL, date=start + timedelta(days=n),
                        starts=time(8, 30), ends=time(11, 30), capacity=30)
                for n in range((today - start).days) if (start + timedelta(days=n)).isoweekday() <= 5]
    Session.objects.bulk_create(sessions)
    sessions = list(Session.objects.filter(clinic=clinic, date__gte=start, date__lt=today, schedule__isnull=True))
    bookings = []
    for session in sessions:
        booked_share = 0.3 + 0.5 * (session.date - start).days / max((today - start).days, 1)
        for i in range(rng.randint(8, 16)):
            ahead = rng.random() < booked_share
            channel = rng.choice(Booking.BOOKED_AHEAD) if ahead else Booking.Channel.WALK_IN
            status = Booking.Status.ARRIVED if not ahead or rng.random() > 0.12 else Booking.Status.NO_SHOW
            bookings.append(Booking(
                session=session, code=services.new_code(), name=f"{rng.choice(SURNAMES)}某{i}",
                phone=f"139{rng.randrange(10**8):08d}", reason="复诊",
                channel=channel, status=status))
    Booking.objects.bulk_create(bookings, batch_size=500)
    return sum(1 for b in bookings if b.status == Booking.Status.ARRIVED)
