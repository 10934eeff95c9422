"""Writes on teams, packages, contracts and visits, and the visit plan.

Each function checks scope (out of scope is 404), validates, saves in one transaction and writes
its audit row there. Visits carry a ``client_key``: a phone that sends the same form twice gets the
first visit back instead of a second one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yilian.core import audit
from yilian.core.scoping import CHANGE, VIEW, scope_for

from .coverage import coverage_changed
from .models import Resident, ResidentTag
from .models_care import (
    Contract,
    ContractEvent,
    PlannedVisit,
    ServicePackage,
    Team,
    TeamMember,
    VisitRecord,
    VisitRule,
    one_year_from,
)
from .services import clinics_for

Action = audit.Action
MIN_REASON_LENGTH = 4


@dataclass
class Result:
    obj: object
    created: bool


def _full_clean(obj, exclude=None):
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


def _in_scope(model, user, obj, action=CHANGE):
    if obj is None or not model.objects.for_user(user, action).filter(pk=obj.pk).exists():
        raise Http404


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError({"reason": _("State the reason (at least %(n)s characters).") % {
            "n": MIN_REASON_LENGTH}})
    return reason


# ------------------------------------------------------------------------------ teams, packages


@transaction.atomic
def team_create(*, by, clinic, name: str, members: list[dict], origin=None) -> Team:
    """A team and its members: each member is ``{"role", "user" or "name"}``; a GP is required."""
    if clinic is None or not clinics_for(by).filter(pk=clinic.pk).exists():
        raise Http404
    team = Team(clinic=clinic, name=(name or "").strip())
    _full_clean(team)
    if Team.objects.filter(clinic=clinic, name=team.name).exists():
        raise ValidationError({"name": _("The clinic already has a team with this name.")})
    rows = [TeamMember(role=m["role"], user=m.get("user"), name=(m.get("name") or "").strip()) for m in members
            if m.get("user") or (m.get("name") or "").strip()]
    if not any(m.role == TeamMember.Role.GP for m in rows):
        raise ValidationError({"members": _("A team needs a general practitioner.")})
    for member in rows:
        if member.role not in TeamMember.Role.values:
            raise ValidationError({"members": _("Choose a role for every member.")})
    team.save()
    for member in rows:
        member.team = team
    TeamMember.objects.bulk_create(rows)
    audit.record(by, Action.CREATE, team, origin=origin)
    return team


@transaction.atomic
def package_create(*, by, clinic, name: str, kind: str, services: str = "", rules=(), origin=None) -> ServicePackage:
    """A service package with its visit rules: ``rules`` is a list of (population or "", interval days)."""
    if clinic is None or not clinics_for(by).filter(pk=clinic.pk).exists():
        raise Http404
    package = ServicePackage(clinic=clinic, name=(name or "").strip(), kind=kind, services=services or "")
    _full_clean(package)
    package.save()
    for population, interval in rules:
        rule = VisitRule(package=package, population=population or "", interval_days=interval)
        _full_clean(rule, exclude=["package"])
        rule.save()
    audit.record(by, Action.CREATE, package, summary=package.name, region_path=clinic.region.path, origin=origin)
    return package


# ------------------------------------------------------------------------------ contracts


def _check_packages(team: Team, packages) -> list[ServicePackage]:
    packages = list(packages or [])
    if not any(p.kind == ServicePackage.Kind.BASIC for p in packages):
        raise ValidationError({"packages": _("A contract includes a basic package.")})
    if any(p.clinic_id != team.clinic_id for p in packages):
        raise ValidationError({"packages": _("A package belongs to another clinic.")})
    return packages


def _already_active(resident: Resident) -> ValidationError:
    return ValidationError({"resident": _("%(name)s already has an active contract; renew or terminate it first.")
                            % {"name": resident.name}})


def _create_contract(by, resident, team, packages, start, consent, consent_by, household, previous=None):
    contract = Contract(resident=resident, team=team, clinic_id=team.clinic_id, start=start,
                        end=one_year_from(start) if start else None, consent=consent,
                        consent_by=(consent_by or "").strip(), household=household, previous=previous,
                        signed_by=by)
    if Contract.objects.filter(resident=resident, status=Contract.Status.ACTIVE).exists():
        raise _already_active(resident)
    _full_clean(contract, exclude=["clinic"])
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError as exc:  # a concurrent signature
        raise _already_active(resident) from exc
    contract.packages.set(packages)
    return contract


@transaction.atomic
def contract_sign(*, by, resident: Resident, team: Team, packages, start: dt.date, consent: bool,
                  consent_by: str = "", whole_household: bool = False, origin=None) -> list[Contract]:
    """Sign ``resident`` (and, with ``whole_household``, every member of their household) to ``team``
    for one year from ``start``. All or nothing: one refused member refuses the whole household."""
    _in_scope(Resident, by, resident)
    _in_scope(Team, by, team)
    packages = _check_packages(team, packages)
    if start is None:
        raise ValidationError({"start": _("Enter the start date.")})
    today = timezone.localdate()
    if start > today + dt.timedelta(days=90) or start < today - dt.timedelta(days=366):
        raise ValidationError({"start": _("The start date must be within the past year or the next 90 days.")})
    people = [resident]
    household = None
    if whole_household:
        if not resident.household_id:
            raise ValidationError({"whole_household": _("The resident belongs to no household.")})
        household = resident.household
        people = list(Resident.objects.filter(household=household).order_by("pk"))
    contracts = []
    for person in people:
        contract = _create_contract(by, person, team, packages, start, consent, consent_by, household)
        ContractEvent.objects.create(contract=contract, kind=ContractEvent.Kind.SIGNED, on=start, by=by)
        audit.record(by, Action.CREATE, contract, origin=origin)
        contracts.append(contract)
    return contracts


@transaction.atomic
def contract_renew(*, by, contract: Contract, consent: bool, packages=None, reason: str = "",
                   origin=None) -> Contract:
    """A new one-year contract from today; the old one is marked renewed (and ends) today.

    Starting today rather than after the old end keeps one contract in force under which the
    team records visits; its open planned visits move to the new contract."""
    _in_scope(Contract, by, contract)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.status != Contract.Status.ACTIVE:
        raise ValidationError(_("Only an active contract can be renewed."))
    packages = _check_packages(contract.team, packages if packages is not None else contract.packages.all())
    start = timezone.localdate()
    Contract.objects.filter(pk=contract.pk).update(status=Contract.Status.RENEWED, ended_on=start,
                                                   end_reason=(reason or "").strip())
    ContractEvent.objects.create(contract=contract, kind=ContractEvent.Kind.RENEWED, on=timezone.localdate(),
                                 reason=(reason or "").strip(), by=by)
    new = _create_contract(by, contract.resident, contract.team, packages, start, consent, contract.consent_by,
                           contract.household, previous=contract)
    PlannedVisit.objects.filter(contract=contract, status=PlannedVisit.Status.PLANNED).update(contract=new)
    ContractEvent.objects.create(contract=new, kind=ContractEvent.Kind.SIGNED, on=start, by=by,
                                 reason=_("renewal"))
    audit.record(by, Action.CREATE, new, origin=origin)
    return new


@transaction.atomic
def contract_terminate(*, by, contract: Contract, reason: str, on: dt.date | None = None, origin=None) -> Contract:
    _in_scope(Contract, by, contract)
    reason = _reason(reason)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    on = on or max(timezone.localdate(), contract.start)  # a renewal not yet begun ends on its first day
    if contract.status != Contract.Status.ACTIVE:
        raise ValidationError(_("Only an active contract can be terminated."))
    if on < contract.start:
        raise ValidationError({"on": _("The termination date is before the contract starts.")})
    contract.status, contract.ended_on, contract.end_reason = Contract.Status.TERMINATED, on, reason
    contract.save(update_fields=["status", "ended_on", "end_reason"])
    PlannedVisit.objects.filter(contract=contract, status=PlannedVisit.Status.PLANNED).update(
        status=PlannedVisit.Status.CANCELLED)
    ContractEvent.objects.create(contract=contract, kind=ContractEvent.Kind.TERMINATED, on=on, reason=reason, by=by)
    audit.record(by, Action.UPDATE, contract, reason=reason, origin=origin)
    return contract


def contract_read(*, by, pk, origin=None) -> Contract:
    contract = (Contract.objects.select_related("resident__clinic__region", "team", "clinic__region")
                .get_for_user_or_404(by, VIEW, pk=pk))
    audit.record(by, Action.READ, contract, origin=origin)
    return contract


# ------------------------------------------------------------------------------ the plan


def _rules_by_package(clinic_ids) -> dict[int, list[VisitRule]]:
    rules: dict[int, list[VisitRule]] = {}
    for rule in VisitRule.objects.filter(package__clinic_id__in=clinic_ids, package__active=True):
        rules.setdefault(rule.package_id, []).append(rule)
    return rules


def generate_visit_plan(clinic, until: dt.date, *, today: dt.date | None = None, batch_size: int = 5000) -> int:
    """Plan the next visit of every (active contract, applicable rule) of ``clinic`` (and the
    institutions under it) that has no open planned visit yet and falls due by ``until``.

    The next visit is due ``interval`` days after the last recorded visit, or after the contract
    start. Idempotent: a second run adds nothing (and a unique constraint backs that up).
    """
    from yilian.network.models import Institution

    today = today or timezone.localdate()
    clinic_ids = Institution.descendant_ids({clinic.pk})
    rules = _rules_by_package(clinic_ids)
    if not rules:
        return 0
    contracts = (Contract.objects.filter(clinic_id__in=clinic_ids, status=Contract.Status.ACTIVE, end__gte=today)
                 .values_list("pk", "resident_id", "team_id", "start", "end"))
    links = Contract.packages.through.objects.filter(contract__clinic_id__in=clinic_ids,
                                                     contract__status=Contract.Status.ACTIVE,
                                                     servicepackage_id__in=list(rules))
    packages_of: dict[int, list[int]] = {}
    for contract_id, package_id in links.values_list("contract_id", "servicepackage_id"):
        packages_of.setdefault(contract_id, []).append(package_id)
    open_pairs = set(PlannedVisit.objects.filter(contract__clinic_id__in=clinic_ids,
                                                 status=PlannedVisit.Status.PLANNED)
                     .values_list("contract_id", "rule_id"))
    tags = set(ResidentTag.objects.filter(resident__clinic_id__in=clinic_ids).values_list("resident_id", "kind"))
    last_visit = dict(VisitRecord.objects.filter(contract__clinic_id__in=clinic_ids)
                      .order_by("contract_id", "date").values_list("contract_id", "date"))
    batch, created = [], 0
    for pk, resident_id, team_id, start, end in contracts.iterator(chunk_size=batch_size):
        for package_id in packages_of.get(pk, ()):
            for rule in rules[package_id]:
                if (pk, rule.pk) in open_pairs or (rule.population and (resident_id, rule.population) not in tags):
                    continue
                due = last_visit.get(pk, start) + dt.timedelta(days=rule.interval_days)
                if last_visit.get(pk) is None:
                    due = start + dt.timedelta(days=min(rule.interval_days, 14))  # a first visit soon after signing
                if due > until or due > end:
                    continue
                open_pairs.add((pk, rule.pk))
                batch.append(PlannedVisit(contract_id=pk, team_id=team_id, rule=rule, due=due))
        if len(batch) >= batch_size:
            created += len(PlannedVisit.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    created += len(PlannedVisit.objects.bulk_create(batch, ignore_conflicts=True))
    if created:
        coverage_changed(clinic_ids)
    return created


# ------------------------------------------------------------------------------ visits


def teams_of(user):
    """Teams the user works in (as a member), or, for clinic staff, all their clinics' teams."""
    scope = scope_for(user)
    member = Team.objects.filter(members__user_id=user.pk, active=True)
    if scope.is_admin:
        return Team.objects.filter(active=True)
    if scope.clinic_ids:
        return Team.objects.filter(Q(clinic_id__in=scope.clinic_ids) | Q(pk__in=member.values("pk")), active=True)
    return member.distinct()


def day_list(user, day: dt.date):
    """Planned visits due on ``day`` or overdue, for the user's teams, most overdue first."""
    return (PlannedVisit.objects.filter(team__in=teams_of(user).values("pk"), status=PlannedVisit.Status.PLANNED,
                                        due__lte=day)
            .select_related("contract__resident__community", "rule", "team").order_by("due", "pk"))


def may_record(user, contract: Contract) -> bool:
    return teams_of(user).filter(pk=contract.team_id).exists() and contract.status == Contract.Status.ACTIVE


@transaction.atomic
def visit_record(*, by, contract: Contract, date: dt.date, mode: str, systolic=None, diastolic=None, glucose=None,
                 services: str = "", notes: str = "", planned: PlannedVisit | None = None, client_key=None,
                 origin=None) -> Result:
    """Record a visit; it completes the planned visits of the contract due by its date (or the one
    chosen) and plans the next visit of each of their rules."""
    if client_key:
        existing = VisitRecord.objects.filter(client_key=client_key, by=by).first()
        if existing is not None:
            return Result(existing, False)
    if not Contract.objects.for_user(by, VIEW).filter(pk=contract.pk).exists() or not teams_of(by).filter(
            pk=contract.team_id).exists():
        raise Http404
    if contract.status != Contract.Status.ACTIVE:
        raise ValidationError(_("The contract is no longer active."))
    if planned is not None and planned.contract_id != contract.pk:
        raise Http404
    visit = VisitRecord(contract=contract, resident_id=contract.resident_id, team_id=contract.team_id, date=date,
                        mode=mode, systolic=systolic, diastolic=diastolic, glucose=glucose,
                        services=services or "", notes=notes or "", by=by, client_key=client_key or None)
    _full_clean(visit, exclude=["client_key"])
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:
        return Result(VisitRecord.objects.get(client_key=client_key), False)
    due = PlannedVisit.objects.select_for_update().filter(contract=contract, status=PlannedVisit.Status.PLANNED)
    done = list(due.filter(Q(due__lte=date) | Q(pk=planned.pk if planned else None)).select_related("rule"))
    nexts = []
    for item in done:
        item.status, item.done_on, item.record = PlannedVisit.Status.DONE, date, visit
        item.save(update_fields=["status", "done_on", "record"])
        following = date + dt.timedelta(days=item.rule.interval_days)
        if following <= contract.end:
            nexts.append(PlannedVisit(contract=contract, team_id=contract.team_id, rule=item.rule, due=following))
    PlannedVisit.objects.bulk_create(nexts)
    audit.record(by, Action.CREATE, visit, origin=origin)
    return Result(visit, True)


