"""Laggards (对不担当、不作为的…及时进行通报): notices to the coordinator of the supporting hospital and the
supervisors of the region when an institution's indicator is at risk or missed, and a monthly summary.

Repeats do not spam: the dedupe key names the indicator, the institution, the status and the target's
deadline, so a notice comes again only when the situation changes (at risk → missed, a new target).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from yilian.accounts.models import Membership
from yilian.network.models import Pairing, Region
from yilian.notices.services import notify

from . import selectors


def _recipients(institution, day: date, supervisors) -> set[int]:
    hospitals = Pairing.all_rows.filter(clinic=institution).active_on(day).values("hospital_id")
    coordinators = set(Membership.objects.filter(role=Membership.Role.COORDINATOR)
                       .filter(Q(institution__in=hospitals) | Q(institution=institution))
                       .values_list("user_id", flat=True))
    path = institution.region.path
    return coordinators | {uid for region_path, uid in supervisors if path.startswith(region_path)}


def _supervisors():
    return list(Membership.objects.filter(role=Membership.Role.SUPERVISOR, region__isnull=False)
                .values_list("region__path", "user_id"))


def notify_laggards(today: date) -> int:
    """One notice per (institution, indicator, status, deadline) to its coordinators and supervisors."""
    supervisors, sent = _supervisors(), 0
    for root in Region.objects.filter(parent__isnull=True):
        for row in selectors.laggards(root, today):
            institution, indicator, judgement = row["institution"], row["indicator"], row["judgement"]
            text = _("%(institution)s: %(indicator)s is %(status)s (%(value)s %(unit)s, target %(target)s by "
                     "%(deadline)s).") % {
                "institution": institution.name, "indicator": indicator.name_zh, "status": row["status_label"],
                "value": "—" if row["value"] is None else row["value"], "unit": indicator.unit,
                "target": f"{judgement.target.value:g}", "deadline": judgement.target.deadline.isoformat()}
            url = reverse("indicator-detail", args=[indicator.pk]) + f"?region={institution.region.district().pk}" \
                if institution.region.district() else reverse("indicator-detail", args=[indicator.pk])
            key = f"indicators.laggard:{indicator.pk}:{institution.pk}:{judgement.status}:{judgement.target.deadline}"
            sent += len(notify(_recipients(institution, today, supervisors), kind="indicators.laggard", text=text,
                               url=url, dedupe_key=key))
    return sent


def monthly_summary(today: date) -> int:
    """Each supervisor: how many laggards their region has this month, with a link to the list."""
    by_region = defaultdict(list)
    for region_id, user_id in Membership.objects.filter(role=Membership.Role.SUPERVISOR, region__isnull=False) \
            .values_list("region_id", "user_id"):
        by_region[region_id].append(user_id)
    sent = 0
    for region in Region.objects.filter(pk__in=list(by_region)):
        rows = selectors.laggards(region, today)
        institutions = sorted({r["institution"].name for r in rows})
        text = _("Laggards in %(region)s, %(month)s: %(n)s indicator figures at risk or missed in %(m)s "
                 "institutions. %(names)s") % {
            "region": region.name, "month": f"{today:%Y-%m}", "n": len(rows), "m": len(institutions),
            "names": "、".join(institutions[:10])}
        url = reverse("indicator-laggards") + f"?region={region.pk}"
        sent += len(notify(by_region[region.pk], kind="indicators.monthly_summary", text=text, url=url,
                           dedupe_key=f"indicators.summary:{region.pk}:{today:%Y-%m}"))
    return sent
