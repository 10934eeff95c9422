"""Every rule in conflict and every unmet reason reads as a sentence in English and Chinese."""

from datetime import date

import pytest
from django.utils import translation

from yilian.roster import explain

DAY = date(2026, 2, 2).isoformat()
NAMES = {"doctors": {"d1": {"name": "王建国"}, "d2": {"name": "李晓梅"}}, "clinics": {"c1": "新天社区卫生服务中心"},
         "hospitals": {"h1": "贵阳市第一人民医院"}}
CONFLICTS = {
    "no_working_days": {},
    "no_needs": {},
    "unknown": {"doctor": "d1", "clinic": "c1", "day": DAY},
    "workday": {"doctor": "d1", "clinic": "c1", "day": DAY},
    "min_title": {"doctor": "d1", "clinic": "c1", "day": DAY, "title": 0, "min_title": 1},
    "specialty": {"doctor": "d1", "clinic": "c1", "day": DAY, "specialty": "儿科"},
    "travel": {"doctor": "d1", "clinic": "c1", "day": DAY, "minutes": 150, "limit": 90},
    "unavailable": {"doctor": "d1", "clinic": "c1", "day": DAY},
    "pin_forbid": {"doctor": "d1", "clinic": "c1", "day": DAY},
    "one_place": {"doctor": "d1", "day": DAY, "clinics": ["c1", "c2"]},
    "max_days": {"doctor": "d1", "count": 3, "limit": 2},
    "department": {"hospital": "h1", "department": "儿科", "day": DAY, "count": 2, "limit": 1, "share": 20},
    "one_per_specialty": {"clinic": "c1", "specialty": "全科", "day": DAY, "doctors": ["d1", "d2"]},
    "need_days": {"clinic": "c1", "specialty": "全科", "count": 3, "limit": 2},
    "clinic_days": {"clinic": "c1", "count": 3, "limit": 2},
}
UNMET = {
    "no_specialty": {}, "below_title": {"count": 2}, "out_of_reach": {"nearest": 150, "limit": 90, "count": 1},
    "forbidden": {"count": 1}, "unavailable": {"count": 1}, "at_limit": {"count": 3, "limit": 2},
    "busy": {"count": 2}, "department": {"share": 20}, "clinic_days": {"clinic_limit": 2},
    "time_limit": {},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_code_is_a_sentence(language):
    with translation.override(language):
        for rule, params in CONFLICTS.items():
            text = explain.conflict_message(rule, params, NAMES)
            assert text != rule and len(text) > 20 and "%(" not in text
            if "doctor" in params:
                assert "王建国" in text
        for reason, params in UNMET.items():
            text = explain.unmet_message(reason, params)
            assert text != reason and len(text) > 10 and "%(" not in text
        assert "150" in explain.unmet_message("out_of_reach", UNMET["out_of_reach"])
