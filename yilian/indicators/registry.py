"""Named metrics: figures awkward to write as a pack query, computed by a registered function.

A pack says ``metric: familydoctor.key_population_coverage``; the loader refuses a name that is
neither registered nor declared pending. A *pending* metric is one whose data Yilian does not record
yet: its indicator ships with target and source and shows "no data source yet". When the capability
lands, register the function under the same name and the indicator starts showing values:

    from yilian.indicators.registry import register_metric

    @register_metric("appointments.booked_visit_share", models=["appointments.Appointment"])
    def booked_visit_share(as_of):
        return [Row(institution_id=..., numerator=..., denominator=...), ...]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Row:
    """One institution's (or region's) part of a figure; regions sum numerators and denominators."""

    numerator: float
    denominator: float | None = None
    institution_id: int | None = None
    region_id: int | None = None


@dataclass(frozen=True)
class Metric:
    name: str
    function: Callable[[date], Iterable[Row]]
    models: tuple[str, ...]  # "app_label.Model" whose writes make the figure stale


METRICS: dict[str, Metric] = {}

# Declared but not computable yet: the data lives in a capability that is not built (or not merged).
PENDING: set[str] = {
    "appointments.booked_visit_share",  # 全预约就诊模式 — the appointments app
    "planning.population_coverage_share",  # 社区卫生服务覆盖全市居民 — the planning app
    "publichealth.tcm_appropriate_techniques",  # 中医药适宜技术10项以上 — not recorded yet
    "publichealth.tcm_hall_standard_share",  # 中医馆达到建设标准 — not recorded yet
    "publichealth.tcm_hall_upgraded_share",  # 中医馆提档升级 — not recorded yet
    "publichealth.tcm_hall_two_staff_share",  # 每个中医馆2名以上中医 — not recorded yet
    "publichealth.new_estate_childcare_share",  # 新建居住区托育设施达标率 — not recorded yet
    "publichealth.old_estate_childcare_share",  # 老城区托育设施 — not recorded yet
    "network.government_centres",  # 政府主导社区卫生服务中心 — ownership not recorded yet
    "network.centres_per_population",  # 每3-10万居民一家 — population per subdistrict not recorded
    "support.monthly_reports_filed",  # 对口支援工作量月报 — figures only, no filing record yet
    "training.directed_students",  # 订单定向医学生 — not recorded yet
}


def register_metric(name: str, *, models: Iterable[str] = ()):
    """Decorator: make ``name`` computable. Re-registering replaces (the lead's merge wins)."""

    def decorate(function):
        METRICS[name] = Metric(name=name, function=function, models=tuple(m.lower() for m in models))
        PENDING.discard(name)
        return function

    return decorate


def is_known(name: str) -> bool:
    return name in METRICS or name in PENDING


def get(name: str) -> Metric | None:
    return METRICS.get(name)
