"""Writes of the indicators app: ledger entries, survey answers, supervisor-added indicators.

Each service owns its transaction; after a write commits, the snapshot of the indicators that read
the written model is recomputed (so the dashboard shows the change at once, well within a minute).
"""

from __future__ import annotations

import hashlib
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yilian.core.scoping import CHANGE
from yilian.familydoctor import idnumber
from yilian.network.models import Institution

from . import engine, packs
from .models import Indicator, Pack, Question, Response, Survey, Target


def _label(model) -> str:
    return model._meta.label_lower


def ledger_entry_create(*, by, model, data: dict, client_key: str = ""):
    """Record a ledger entry for an institution the user may change; a retried form is the same entry."""
    if client_key:
        existing = model.objects.filter(client_key=client_key).first()
        if existing is not None:
            return existing
    institution = data.get("institution")
    if institution is None or not Institution.objects.for_user(by, CHANGE).filter(pk=institution.pk).exists():
        raise ValidationError({"institution": _("You may not record entries for this institution.")})
    entry = model(**data, recorded_by=by, client_key=client_key or None)
    entry.full_clean(exclude=["client_key"])
    with transaction.atomic():
        entry.save()
        engine.refresh_after_write(_label(model))
    return entry


def ledger_entry_delete(*, by, entry):
    if not type(entry).objects.for_user(by, CHANGE).filter(pk=entry.pk).exists():
        raise ValidationError(_("You may not change this entry."))
    with transaction.atomic():
        entry.delete()
        engine.refresh_after_write(_label(type(entry)))


# ------------------------------------------------------------------------------------------- surveys


def period_key(survey: Survey, day: date) -> str:
    if survey.period == Survey.Period.MONTH:
        return f"{day:%Y-%m}"
    if survey.period == Survey.Period.YEAR:
        return f"{day:%Y}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def phone_hash(phone: str) -> str:
    """Only a keyed hash of the phone is kept: enough to refuse a second answer, not to call anyone."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:survey:{phone}".encode()).hexdigest()


def survey_answer(*, survey: Survey, institution: Institution, phone: str, answers: dict, visit_ref: str = "",
                  today: date | None = None) -> Response:
    """One answer per phone number per period and per visit; the overall rating 4–5 counts as satisfied."""
    today = today or timezone.localdate()
    if not survey.active:
        raise ValidationError(_("This survey is closed."))
    try:
        phone = idnumber.normalise_phone(phone)
    except idnumber.PhoneError as exc:
        raise ValidationError({"phone": exc.message}) from exc
    key, hashed = period_key(survey, today), phone_hash(phone)
    visit_ref = visit_ref.strip()
    _refuse_second_answer(survey, key, hashed, visit_ref)
    cleaned, satisfied = _clean_answers(survey, answers)
    try:
        with transaction.atomic():
            response = Response.objects.create(survey=survey, institution=institution, period_key=key,
                                               phone_hash=hashed, visit_ref=visit_ref, answers=cleaned,
                                               satisfied=satisfied)
            engine.refresh_after_write("indicators.response")
    except IntegrityError as exc:  # a double submit racing the check above
        raise ValidationError(_already_message(survey)) from exc
    return response


def _already_message(survey) -> str:
    return _("This phone number has already answered this survey for the current %(period)s. Thank you!") % {
        "period": survey.get_period_display()}


def _refuse_second_answer(survey, key, hashed, visit_ref):
    if Response.objects.filter(survey=survey, period_key=key, phone_hash=hashed).exists():
        raise ValidationError(_already_message(survey))
    if visit_ref and Response.objects.filter(survey=survey, visit_ref=visit_ref).exists():
        raise ValidationError({"visit_ref": _("This visit has already been rated. Thank you!")})


def _clean_answers(survey, answers: dict) -> tuple[dict, bool]:
    cleaned, errors, satisfied = {}, {}, False
    for question in survey.questions.all():
        raw = str(answers.get(f"q{question.pk}", "")).strip()
        if question.kind == Question.Kind.RATING:
            if raw not in {"1", "2", "3", "4", "5"}:
                errors[f"q{question.pk}"] = _("Choose a rating from 1 to 5.")
                continue
            cleaned[str(question.pk)] = int(raw)
            satisfied = satisfied or (question.is_overall and int(raw) >= 4)
        elif question.kind == Question.Kind.YES_NO:
            if raw not in {"yes", "no"}:
                errors[f"q{question.pk}"] = _("Answer yes or no.")
                continue
            cleaned[str(question.pk)] = raw
        else:
            cleaned[str(question.pk)] = raw[:500]
    if errors:
        raise ValidationError(errors)
    return cleaned, satisfied


def survey_create_default(*, region, title: str = "") -> Survey:
    with transaction.atomic():
        survey = Survey.objects.create(region=region, title=title or _("Satisfaction with health and care services"))
        Question.objects.bulk_create([
            Question(survey=survey, position=0, is_overall=True, kind=Question.Kind.RATING,
                     text=_("Overall, how satisfied are you with the health and care services here?")),
            Question(survey=survey, position=1, kind=Question.Kind.RATING,
                     text=_("How satisfied are you with the doctor's explanation?")),
            Question(survey=survey, position=2, kind=Question.Kind.YES_NO,
                     text=_("Did you wait less than 30 minutes?")),
            Question(survey=survey, position=3, kind=Question.Kind.TEXT, text=_("What should we improve?")),
        ])
    return survey


# ------------------------------------------------------------------------------------------ indicators


def indicator_create(*, pack: Pack, data: dict, targets: list[tuple[float, date]]) -> Indicator:
    """A supervisor's own indicator (``shipped=False``): never touched by a reload of the pack file."""
    if not targets:
        raise ValidationError(_("Give at least one target with its deadline."))
    definition = data.pop("definition")
    text = packs.indicator_yaml(data | {"definition": definition}, targets)
    packs.validate(text, _("(indicator form)"))
    with transaction.atomic():
        indicator = Indicator.objects.create(pack=pack, shipped=False, definition=definition,
                                             position=1000 + pack.indicators.count(), **data)
        Target.objects.bulk_create([Target(indicator=indicator, value=v, deadline=d) for v, d in targets])
    transaction.on_commit(lambda: engine.refresh([indicator]))
    return indicator


def indicator_update(*, indicator: Indicator, data: dict, targets: list[tuple[float, date]]) -> Indicator:
    """Edit a supervisor's own indicator; shipped ones are edited in their pack file (the source of truth)."""
    if indicator.shipped:
        raise ValidationError(_("This indicator comes from its pack file; change it there and reload the pack."))
    if not targets:
        raise ValidationError(_("Give at least one target with its deadline."))
    definition = data.pop("definition")
    packs.validate(packs.indicator_yaml(data | {"definition": definition}, targets), _("(indicator form)"))
    with transaction.atomic():
        for field, value in data.items():
            setattr(indicator, field, value)
        indicator.definition = definition
        indicator.save()
        indicator.targets.all().delete()
        Target.objects.bulk_create([Target(indicator=indicator, value=v, deadline=d) for v, d in targets])
    transaction.on_commit(lambda: engine.refresh([indicator]))
    return indicator


def indicator_weight_set(*, indicator: Indicator, weight) -> Indicator:
    indicator.weight = weight
    indicator.full_clean()
    indicator.save(update_fields=["weight"])
    return indicator
