"""The expert studio's sessions and bookings become visiting-expert sessions of the appointment system.

Rows keep their primary keys (booking pages and links stay valid); the change history moves too.
"""

from django.core.management.color import no_style
from django.db import migrations

SESSION_FIELDS = ["id", "clinic_id", "doctor_id", "assignment_id", "date", "starts", "ends", "capacity", "cancelled"]
BOOKING_FIELDS = ["id", "session_id", "code", "name", "phone", "reason", "status", "created_at", "cancelled_at",
                  "client_key"]
HISTORY_FIELDS = ["history_id", "history_date", "history_change_reason", "history_type", "history_user_id"]


def _copy(source, target, fields, **extra):
    rows = [target(**{f: getattr(old, f) for f in fields}, **extra) for old in source.objects.order_by("pk")]
    target.objects.bulk_create(rows, batch_size=500)


def forwards(apps, schema_editor):
    get = apps.get_model
    _copy(get("support", "ExpertSession"), get("appointments", "Session"), SESSION_FIELDS,
          session_type="visiting_expert")
    _copy(get("support", "Booking"), get("appointments", "Booking"), BOOKING_FIELDS)
    _copy(get("support", "HistoricalExpertSession"), get("appointments", "HistoricalSession"),
          SESSION_FIELDS + HISTORY_FIELDS, session_type="visiting_expert")
    _copy(get("support", "HistoricalBooking"), get("appointments", "HistoricalBooking"),
          BOOKING_FIELDS + HISTORY_FIELDS)
    # explicit keys leave PostgreSQL's sequences behind; the next booking must not collide
    models = [get("appointments", n) for n in ("Session", "Booking", "HistoricalSession", "HistoricalBooking")]
    with schema_editor.connection.cursor() as cursor:
        for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial"), ("support", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
