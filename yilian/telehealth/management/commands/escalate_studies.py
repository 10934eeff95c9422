"""Alert the reading centre's duty leader about studies about to miss their turnaround target
(run every minute from cron; running it twice alerts nobody twice)."""

from django.core.management.base import BaseCommand
from django.utils.dateparse import parse_datetime

from yilian.telehealth.services import escalate_studies


class Command(BaseCommand):
    help = "Escalate studies about to miss their reading target to the centre's duty leader."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO date-time to evaluate at (default: now)")

    def handle(self, *args, now=None, **options):
        moment = parse_datetime(now) if now else None
        count = escalate_studies(moment)
        self.stdout.write(f"escalated {count}")
