from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0006_credential_engine_path"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="credential",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind__in", ["db_static", "ldap_static"])),
                fields=("engine_path", "engine_role"),
                name="credential_one_per_static_role",
                violation_error_message="Another credential already uses this static role.",
            ),
        ),
    ]
