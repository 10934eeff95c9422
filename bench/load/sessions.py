"""Logins and ids for the load profile, written as JSON (run just before each load run: sessions expire
after the idle timeout). Each simulated user gets its own session, as real users do."""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yilian.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from yilian.accounts.models import ApiToken, Membership  # noqa: E402
from yilian.familydoctor.models import Contract, Resident, Team, TeamMember  # noqa: E402
from yilian.network.models import Institution, Region  # noqa: E402
from yilian.referrals.models import Department, Referral  # noqa: E402

BACKEND = "django.contrib.auth.backends.ModelBackend"


def cookie(user) -> str:
    """A signed-in session; a supervisor's as after the second factor (a confirmed TOTP device)."""
    store = SessionStore()
    store.update({"_auth_user_id": str(user.pk), "_auth_user_backend": BACKEND,
                  "_auth_user_hash": user.get_session_auth_hash()})
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None and (user.is_staff or Membership.objects.filter(user=user, role=Membership.Role.SUPERVISOR)
                           .exists()):
        device = TOTPDevice.objects.create(user=user, name="load", confirmed=True)
    if device is not None:
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()
    return f"sessionid={store.session_key}"


def _user(role, scope, username):
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        key = "region" if role == Membership.Role.SUPERVISOR else "institution"
        Membership.objects.create(user=user, role=role, **{key: scope})
    return user


def _visiting(staff, clinic) -> dict:
    """The clinic's staff user is a nurse of its first team, with an API token and active contracts to
    record home visits for (a token, as the phone page's offline queue sends them)."""
    team = Team.objects.filter(clinic=clinic).order_by("pk").first()
    if team is None:
        return {"contracts": [], "token": ""}
    TeamMember.objects.get_or_create(team=team, user=staff, defaults={"role": TeamMember.Role.NURSE})
    contracts = list(Contract.objects.filter(team=team, status=Contract.Status.ACTIVE).order_by("pk")
                     .values_list("pk", flat=True)[:30])
    return {"contracts": contracts, "token": ApiToken.issue(staff, "load")[1]}


def _bookable(clinic) -> int:
    """新天's slots of the next two weeks open (as its schedules publish them), each with room for a run's
    residents: the database is reused from run to run, and full slots would leave nothing to book."""
    from django.db.models import F
    from django.db.models.functions import Greatest
    from django.utils import timezone

    from yilian.appointments.demo import load_appointments_demo
    from yilian.appointments.models import Session

    load_appointments_demo()
    Session.objects.filter(clinic=clinic, date__gte=timezone.localdate(), cancelled=False).update(
        capacity=Greatest(F("capacity"), 300))
    return clinic.pk


def main(out: Path, users: int):
    rng = random.Random(7)
    city = Region.objects.get(name="基准市")
    clinics = list(Institution.objects.filter(region__path__startswith=city.path).order_by("pk")[:200])
    fd_clinics = []
    for n, clinic in enumerate(clinics[: max(10, users)]):
        staff = _user(Membership.Role.CLINIC_STAFF, clinic, f"load_clinic_{clinic.pk}")
        residents = list(Resident.objects.filter(clinic=clinic).order_by("pk").values_list("pk", "initials")[:40])
        fd_clinics.append({"cookie": cookie(staff), "residents": [r[0] for r in residents],
                           "initials": sorted({r[1][:2] for r in residents if r[1]})[:5], "n": n,
                           **_visiting(staff, clinic)})
    county = Region.objects.get(name="基准县")
    ref_clinics, ref_hubs = [], []
    for department in Department.objects.filter(hospital__region=county).select_related("hospital"):
        hub = department.hospital
        coordinator = _user(Membership.Role.COORDINATOR, hub, f"load_hub_{hub.pk}")
        ref_hubs.append({"hub": hub.pk, "token": ApiToken.issue(coordinator, "load")[1], "cookie": cookie(coordinator),
                         "waiting": list(Referral.objects.filter(to_institution=hub, status=Referral.Status.SENT)
                                         .values_list("pk", flat=True)[:200])})
        for clinic in Institution.objects.filter(name__startswith=f"基准卫生院{hub.name.removeprefix('基准医院')}-"):
            staff = _user(Membership.Role.CLINIC_STAFF, clinic, f"load_ref_{clinic.pk}")
            resident = Resident.objects.filter(clinic=clinic).values_list("pk", flat=True).first()
            ref_clinics.append({"token": ApiToken.issue(staff, "load")[1], "resident": resident,
                                "department": department.pk, "hub": hub.pk})
    city_supervisor = _user(Membership.Role.SUPERVISOR, city, "load_city_supervisor")
    county_supervisor = _user(Membership.Role.SUPERVISOR, county, "load_county_supervisor")
    guiyang_supervisor = get_user_model().objects.get(username="gy_supervisor")
    supervisors = {
        "fd": [cookie(city_supervisor) for _ in range(users)],
        "referrals": [cookie(county_supervisor) for _ in range(users)],
        "guiyang": [cookie(guiyang_supervisor) for _ in range(users)],
    }
    doctor = get_user_model().objects.get(username="sy1_doctor")
    reader = get_user_model().objects.get(username="sy1_coordinator")
    others = {"doctor": [cookie(doctor) for _ in range(users)], "reader": [cookie(reader) for _ in range(users)]}
    booking_clinic = _bookable(Institution.objects.get(name="新天社区卫生服务中心"))
    districts = list(Region.objects.filter(parent=city).values_list("pk", flat=True))
    rng.shuffle(districts)
    out.write_text(json.dumps({"fd_clinics": fd_clinics, "ref_clinics": ref_clinics, "ref_hubs": ref_hubs,
                               "supervisors": supervisors, "districts": districts, **others,
                               "booking_clinic": booking_clinic}, ensure_ascii=False))
    print(f"wrote {out}: {len(fd_clinics)} clinics, {len(ref_clinics)} referral clinics, {len(ref_hubs)} hubs")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 200)
