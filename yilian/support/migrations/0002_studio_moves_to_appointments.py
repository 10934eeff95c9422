"""The expert studio's tables move into the appointment system (see appointments 0002); ExpertSession
stays as the visiting-expert view of appointments.Session."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('appointments', '0002_studio_rows'),
        ('support', '0001_initial'),
    ]

    operations = [
        migrations.DeleteModel(
            name='Booking',
        ),
        migrations.DeleteModel(
            name='ExpertSession',
        ),
        migrations.DeleteModel(
            name='HistoricalBooking',
        ),
        migrations.DeleteModel(
            name='HistoricalExpertSession',
        ),
        migrations.CreateModel(
            name='ExpertSession',
            fields=[
            ],
            options={
                'verbose_name': 'expert session',
                'verbose_name_plural': 'expert sessions',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('appointments.session',),
        ),
    ]
