"""Make the age tags (65+, 0–6) true for a day: run daily by the worker, or by hand for a date.

    manage.py refresh_age_tags                    # as of today
    manage.py refresh_age_tags --as-of 2025-01-01
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from yilian.familydoctor.models import refresh_age_tags


class Command(BaseCommand):
    help = "Recompute the age-derived key-population tags (65+ elderly, children 0-6) as of a date."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, as_of=None, **options):
        try:
            day = date.fromisoformat(as_of) if as_of else date.today()
        except ValueError as exc:
            raise CommandError(f"--as-of: {exc}") from exc
        added, removed = refresh_age_tags(day)
        self.stdout.write(f"Age tags as of {day}: {added} added, {removed} removed.")
