"""Alert the duty leader about referrals nobody accepted in time (the job workers also run it every minute)."""

from django.core.management.base import BaseCommand
from django.utils.dateparse import parse_datetime

from yilian.referrals.services import escalate_overdue


class Command(BaseCommand):
    help = "Escalate unanswered referrals to the hub's duty leader."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO date-time to evaluate at (default: now)")

    def handle(self, *args, now=None, **options):
        moment = parse_datetime(now) if now else None
        count = escalate_overdue(moment)
        self.stdout.write(f"escalated {count}")
