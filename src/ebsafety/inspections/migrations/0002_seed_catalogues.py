from django.db import migrations


def seed(apps, schema_editor):
    from ebsafety.inspections.seed import seed_catalogues

    seed_catalogues(apps)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
