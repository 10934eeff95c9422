"""Working days after the Chinese official calendar (国务院办公厅 holiday notices).

Three sources, in order of precedence:
1. the editable CalendarDay table (e.g. a supervisor enters the 2027 Spring Festival before the
   chinesecalendar package knows it, or corrects a day);
2. chinesecalendar, which knows the published years (holidays and adjusted working weekends);
3. for a year neither covers, Monday to Friday — and ``calendar_coverage`` says so, so that
   pages can warn that the year's holidays have not been entered yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from django.utils.translation import get_language
from django.utils.translation import gettext as _

OFFICIAL = "official"
TABLE = "table"
WEEKDAYS_ONLY = "weekdays-only"


@dataclass(frozen=True)
class DayInfo:
    day: date
    workday: bool
    name: str  # holiday or adjusted working day ("国庆节"), "" for an ordinary day
    source: str  # OFFICIAL, TABLE or WEEKDAYS_ONLY

    @property
    def weekend(self) -> bool:
        return self.day.weekday() >= 5

    @property
    def weekday_short(self) -> str:
        """一 … 日 for Chinese readers, Mo … Su otherwise: a day column is narrow."""
        if (get_language() or "zh").startswith("zh"):
            return "一二三四五六日"[self.day.weekday()]
        return ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")[self.day.weekday()]

    @property
    def adjusted(self) -> bool:
        """A working weekend (调休上班) or a holiday on a weekday: the calendar differs from the week."""
        return self.workday == self.weekend


@lru_cache(maxsize=256)
def official_covers(year: int) -> bool:
    """Whether the installed chinesecalendar knows this year (it raises outside its years)."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def calendar_coverage(year: int) -> str:
    """OFFICIAL (chinesecalendar knows the year), TABLE (only entries of the editable table) or
    WEEKDAYS_ONLY (nothing known: Monday–Friday are assumed to be working days)."""
    from .models import CalendarDay

    if official_covers(year):
        return OFFICIAL
    if CalendarDay.objects.filter(date__year=year).exists():
        return TABLE
    return WEEKDAYS_ONLY


def _holiday_name(english: str | None) -> str:
    """chinesecalendar names holidays in English; show the Chinese name to Chinese readers."""
    if not english:
        return ""
    holiday = next((h for h in chinese_calendar.Holiday if h.value == english), None)
    if holiday is not None and (get_language() or "zh").startswith("zh"):
        return holiday.chinese
    return english


def _official(day: date) -> DayInfo:
    workday = chinese_calendar.is_workday(day)
    _on_holiday, name = chinese_calendar.get_holiday_detail(day)
    return DayInfo(day, workday, _holiday_name(name), OFFICIAL)


def _weekday_only(day: date) -> DayInfo:
    return DayInfo(day, day.weekday() < 5, "", WEEKDAYS_ONLY)


def days(start: date, end: date) -> list[DayInfo]:
    """Every day of [start, end] with whether it is a working day and why (one query)."""
    from .models import CalendarDay

    table = {row.date: row for row in CalendarDay.objects.filter(date__range=(start, end))}
    result = []
    day = start
    while day <= end:
        if day in table:
            row = table[day]
            result.append(DayInfo(day, row.is_workday, row.name, TABLE))
        elif official_covers(day.year):
            result.append(_official(day))
        else:
            result.append(_weekday_only(day))
        day += timedelta(days=1)
    return result


def day_info(day: date) -> DayInfo:
    return days(day, day)[0]


def is_workday(day: date) -> bool:
    return day_info(day).workday


def workdays(start: date, end: date) -> list[date]:
    """The working days of [start, end], both included."""
    return [info.day for info in days(start, end) if info.workday]


def coverage_warnings(start: date, end: date) -> list[str]:
    """A translated warning for each year of [start, end] whose holidays nobody has entered."""
    return [
        _("The official holidays of %(year)s are not entered yet: Monday to Friday are assumed to be "
          "working days. A supervisor can enter them in the working-day calendar.") % {"year": year}
        for year in range(start.year, end.year + 1)
        if calendar_coverage(year) == WEEKDAYS_ONLY
    ]


def not_workday_reason(info: DayInfo) -> str:
    """Why a day is not a working day, for rule messages: "国庆节", "weekend"…"""
    if info.name:
        return info.name
    return _("weekend") if info.weekend else _("day off in the calendar")


# ----------------------------------------------------------------------------- periods
# Programmes count days per week or per month; targets per week, month, quarter or year.


def period_bounds(day: date, period: str) -> tuple[date, date]:
    """The calendar period (ISO week Monday–Sunday, month, quarter, year) that contains ``day``."""
    if period == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    if period == "month":
        return day.replace(day=1), month_end(day)
    if period == "quarter":
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return first, month_end(date(first.year, first.month + 2, 1))
    if period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    raise ValueError(period)


def periods_overlapping(start: date, end: date, period: str) -> list[tuple[date, date]]:
    """The calendar periods that share at least one day with [start, end], in order."""
    result = []
    day = start
    while day <= end:
        bounds = period_bounds(day, period)
        result.append(bounds)
        day = bounds[1] + timedelta(days=1)
    return result


def period_label(day: date, period: str) -> str:
    """2026-12, 2026-W49, 2026-Q4, 2026."""
    if period == "week":
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
