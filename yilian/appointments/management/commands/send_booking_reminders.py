from datetime import date

from django.core.management.base import BaseCommand

from yilian.appointments.services import send_reminders


class Command(BaseCommand):
    help = "Remind residents booked for tomorrow (run daily from cron; running it twice reminds nobody twice)."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=date.fromisoformat, help="remind the bookings of this day instead")

    def handle(self, *args, day=None, **options):
        self.stdout.write(f"{send_reminders(day)} reminders")
