"""Translated sentences for the optimiser's codes: rules in conflict and reasons for unmet needs."""

from __future__ import annotations

from django.utils.translation import gettext as _

from yilian.support.models import Title


def _title(rank) -> str:
    values = list(Title)
    return values[rank].label if isinstance(rank, int) and 0 <= rank < len(values) else str(rank)


def _names(params: dict, names: dict) -> dict:
    """Ids in the parameters replaced by the names a coordinator knows."""
    doctors, clinics = names.get("doctors", {}), names.get("clinics", {})
    shown = dict(params)
    if "doctor" in shown:
        shown["doctor"] = doctors.get(shown["doctor"], {}).get("name", shown["doctor"])
    if "clinic" in shown:
        shown["clinic"] = clinics.get(shown["clinic"], shown["clinic"])
    if "clinics" in shown:
        shown["clinics"] = "、".join(clinics.get(c, c) for c in shown["clinics"])
    if "doctors" in shown:
        shown["doctors"] = "、".join(doctors.get(d, {}).get("name", d) for d in shown["doctors"])
    if "hospital" in shown:
        shown["hospital"] = names.get("hospitals", {}).get(shown["hospital"], shown["hospital"])
    for key in ("title", "min_title"):
        if key in shown:
            shown[key] = _title(shown[key])
    return shown


def conflict_message(rule: str, params: dict, names: dict) -> str:
    """Which rule no roster can satisfy, and with what."""
    p = _names(params, names)
    messages = {
        "no_working_days": _("Rule “working days”: the month has no official working day, so nobody can be sent."),
        "no_needs": _("No clinic asks for specialist days this month: no signed agreement of this programme "
                      "covers the whole month, or the agreements name no specialty."),
        "unknown": _("The pin of %(doctor)s at %(clinic)s refers to a doctor or clinic outside this month's "
                     "roster (inactive, or no signed agreement)."),
        "workday": _("Rule “working days”: %(doctor)s is pinned at %(clinic)s on %(day)s, which is not an "
                     "official working day."),
        "min_title": _("Rule “minimum title”: %(doctor)s (%(title)s) is pinned at %(clinic)s, but the programme "
                       "requires at least %(min_title)s."),
        "specialty": _("Rule “specialty needed”: %(doctor)s (%(specialty)s) is pinned at %(clinic)s, which did "
                       "not ask for %(specialty)s."),
        "travel": _("Rule “travel time”: %(doctor)s is pinned at %(clinic)s, beyond the limit of %(limit)s "
                    "minutes (or not served by the doctor's hospital)."),
        "unavailable": _("Rule “availability”: %(doctor)s is pinned at %(clinic)s on %(day)s, but is not "
                         "available that day."),
        "pin_forbid": _("Contradictory adjustments: %(doctor)s is both pinned at and forbidden from %(clinic)s "
                        "on %(day)s."),
        "one_place": _("Contradictory pins (rule “one place a day”): %(doctor)s is pinned at %(clinics)s on "
                       "the same day %(day)s."),
        "max_days": _("Rule “at most N days away”: %(doctor)s is pinned on %(count)s days; the limit is "
                      "%(limit)s."),
        "department": _("Rule “department share”: %(count)s doctors of %(department)s (%(hospital)s) are pinned "
                        "on %(day)s; at most %(limit)s (%(share)s %%) may be away."),
        "one_per_specialty": _("Contradictory pins (rule “one doctor per specialty a day”): %(doctors)s are "
                               "pinned at %(clinic)s for %(specialty)s on %(day)s."),
        "need_days": _("Rule “days asked for”: %(count)s days of %(specialty)s are pinned at %(clinic)s, which "
                       "asked for %(limit)s."),
        "clinic_days": _("Rule “visit days per clinic”: pins put doctors at %(clinic)s on %(count)s days; the "
                         "programme allows %(limit)s."),
    }
    return messages.get(rule, rule) % p


def unmet_message(reason: str, params: dict) -> str:
    """Why a clinic's need stays unmet."""
    messages = {
        "no_specialty": _("No doctor of this specialty in the hospitals that serve the clinic."),
        "below_title": _("The %(count)s doctors of this specialty are all below the programme's minimum title."),
        "out_of_reach": _("No doctor of this specialty within reach: the nearest needs %(nearest)s minutes, the "
                          "limit is %(limit)s."),
        "forbidden": _("Every doctor within reach is forbidden at this clinic."),
        "unavailable": _("The doctors within reach are not available on any working day this month."),
        "at_limit": _("Every eligible doctor (%(count)s) is already at the limit of %(limit)s days away."),
        "busy": _("The eligible doctors are needed at other clinics on their free days (the lower bound shows "
                  "no roster does better)."),
        "department": _("Their departments already have %(share)s %% of doctors away on the days they are free."),
        "clinic_days": _("The clinic already receives doctors on the %(clinic_limit)s days the programme allows, "
                         "and no eligible doctor is free on those days."),
        "time_limit": _("The time limit ended before this need was filled; solve again with more time."),
    }
    text = messages.get(reason, reason)
    if reason == "out_of_reach" and params.get("nearest") is None:
        text = _("No doctor of this specialty within reach of the clinic (no hospital serving it has one nearby).")
    return text % params
