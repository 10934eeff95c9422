"""Demo: a coverage scenario of 南明区 on a generated street grid (illustrative, like all demo data)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from yilian.network.models import Region

from . import services
from .models import Scenario

DEMO_DISTRICT = "南明区"
DEMO_NAME = "南明区 一刻钟健康圈（示例）"


def load_planning_demo() -> str:
    """Compute the demo scenario now (no worker needed); loading twice keeps the first."""
    existing = Scenario.objects.filter(name=DEMO_NAME).first()
    if existing:
        return f"{existing.name}: {existing.get_status_display()}"
    district = Region.objects.filter(name=DEMO_DISTRICT, level=Region.Level.DISTRICT).first()
    user = get_user_model().objects.filter(username="gy_supervisor").first()
    if not district or not user:
        return "skipped (no 南明区 or gy_supervisor)"
    scenario = services.scenario_start(by=user, data={
        "name": DEMO_NAME, "region": district, "source": Scenario.Source.GENERATED, "seed": 7,
        "speed_kmh": 4.5, "threshold_min": 15, "max_access_m": 500, "new_sites": 4, "target_share": 90,
    }, language="zh-hans", run_now=True)
    share = scenario.covered_share or 0
    return f"{scenario.name}: {scenario.get_status_display()}, {100 * share:.1f} % covered"
