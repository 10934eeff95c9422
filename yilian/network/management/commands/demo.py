from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from yilian.accounts.demo_users import DEMO_PASSWORD, create_demo_users
from yilian.appointments.demo import load_appointments_demo
from yilian.familydoctor.demo import load_familydoctor_demo
from yilian.indicators.demo import load_indicators_demo
from yilian.network.demo_loader import load_guiyang
from yilian.planning.demo import load_planning_demo
from yilian.referrals.demo import load_referrals_demo
from yilian.roster.demo import load_roster_demo
from yilian.support.demo import load_support_demo
from yilian.support.services_studio import demo_open_sessions
from yilian.telehealth.demo import load_telehealth_demo


class Command(BaseCommand):
    help = _("Create the database, load the Guiyang demo and print the demo logins.")

    def add_arguments(self, parser):
        parser.add_argument("--serve", action="store_true", help=_("Start the web server afterwards."))
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def handle(self, *args, serve=False, addrport="127.0.0.1:8000", **options):
        call_command("migrate", interactive=False, verbosity=0)
        counts = load_guiyang()
        users = create_demo_users()
        support = load_support_demo()
        demo_open_sessions()
        family = load_familydoctor_demo()
        referrals = load_referrals_demo()
        telehealth = load_telehealth_demo()
        roster = load_roster_demo()
        appointments = load_appointments_demo()
        planning = load_planning_demo()
        indicators = load_indicators_demo()  # last: its figures come from everything above
        self.stdout.write(self.style.SUCCESS(
            "Guiyang demo loaded: {regions} regions, {institutions} institutions, "
            "{pilots} pilot communities, {pairings} pairings".format(**counts)
        ))
        self.stdout.write(f"Counterpart support demo: {support}")
        self.stdout.write(f"Family-doctor demo: {family}")
        self.stdout.write(f"Referral demo: {referrals}")
        self.stdout.write(f"Remote reading demo: {telehealth}")
        self.stdout.write(f"Policy indicators demo: {indicators}")
        self.stdout.write(f"Roster demo: {roster}")
        self.stdout.write(f"Appointments demo: {appointments}")
        self.stdout.write(f"15-minute health circle demo: {planning}")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}) — illustrative data:")
        for username, full_name, role, scope in users:
            self.stdout.write(f"  {username:<16} {str(role):<14} {scope}  ({full_name})")
        if serve:
            self.stdout.write(f"\nOpen http://{addrport}/ — Ctrl+C stops the server.\n")
            call_command("serve", addrport=addrport)
