"""Counterpart support (对口支援): programmes, agreements, doctors, dispatch plans, visits, the work
ledger, the expert studio and reports. One module per area; everything is re-exported here."""

from .plan import Agreement, AgreementTarget, Assignment, CalendarDay, Doctor, Programme, Title
from .reports import ReportJob, YearlyReport
from .studio import Booking, ExpertSession
from .visits import Visit, WorkItem

__all__ = [
    "Agreement", "AgreementTarget", "Assignment", "Booking", "CalendarDay", "Doctor", "ExpertSession",
    "Programme", "ReportJob", "Title", "Visit", "WorkItem", "YearlyReport",
]
