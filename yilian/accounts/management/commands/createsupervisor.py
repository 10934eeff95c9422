import getpass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from yilian.accounts.models import Membership
from yilian.network.models import Region


class Command(BaseCommand):
    help = _("Create a commission supervisor for a region (creating the region if it is new).")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("region", help=_("Name of the region, e.g. 贵阳市"))
        parser.add_argument("--level", default=Region.Level.CITY, choices=Region.Level.values)
        parser.add_argument("--password", help=_("Read from the terminal when omitted."))

    @transaction.atomic
    def handle(self, *args, username, region, level, password=None, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(_("A user with this name already exists."))
        password = password or getpass.getpass(_("Password: "))
        region_obj = Region.objects.filter(name=region).first() or Region.objects.create(name=region, level=level)
        user = User(username=username)
        try:
            from django.contrib.auth.password_validation import validate_password

            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        user.set_password(password)
        user.save()
        Membership.objects.create(user=user, role=Membership.Role.SUPERVISOR, region=region_obj)
        self.stdout.write(self.style.SUCCESS(_("Supervisor %(user)s created for %(region)s.") % {
            "user": username, "region": region_obj.name}))
