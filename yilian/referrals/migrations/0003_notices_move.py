"""Referral notifications move into the platform's one inbox (notices.Notice), read state and time kept."""

from django.db import migrations


def forwards(apps, schema_editor):
    Notification = apps.get_model("referrals", "Notification")
    Notice = apps.get_model("notices", "Notice")
    for old in Notification.objects.order_by("pk").iterator():
        url = f"/referrals/{old.referral_id}/" if old.referral_id else ""
        notice = Notice.objects.create(recipient_id=old.user_id, kind="referral.notice", text=old.text, url=url,
                                       essential=True, read_at=old.read_at)
        Notice.objects.filter(pk=notice.pk).update(created_at=old.created_at)  # auto_now_add would say "now"


class Migration(migrations.Migration):

    dependencies = [
        ('referrals', '0002_stats_minutes'),
        ('notices', '0002_deliveries'),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.DeleteModel(
            name='Notification',
        ),
    ]
