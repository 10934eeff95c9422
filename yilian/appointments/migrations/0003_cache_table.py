"""The database cache table (settings.CACHES): the public pages' rate limits are counted there, shared
by every web process. ``createcachetable`` is idempotent."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("appointments", "0002_studio_rows")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
