from django.db import migrations, models


def fill_engine_paths(apps, schema_editor) -> None:  # noqa: ANN001
    """Put each tenant's namespace in front of its credentials' engine mounts, then refuse to go on
    while two credentials share one static role: 0007's constraint could not be added, and one of
    them hands another's account to the wrong engineers. Keep one credential per role first."""
    from django.db.models import Count

    Credential = apps.get_model("inventory", "Credential")
    for credential in Credential.objects.exclude(engine_mount="").select_related("device__tenant").iterator():
        namespace, mount = credential.device.tenant.vault_namespace, credential.engine_mount
        credential.engine_path = f"{namespace}/{mount}" if namespace else mount
        credential.save(update_fields=["engine_path"])
    shared = (
        Credential.objects.filter(kind__in=["db_static", "ldap_static"])
        .values("engine_path", "engine_role")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
        .order_by("engine_path", "engine_role")
    )
    if shared:
        roles = ", ".join(f"{row['engine_path']} role {row['engine_role']}" for row in shared)
        raise RuntimeError(
            f"Several credentials use one static role ({roles}); keep one credential per role, then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0005_max_age_at_least_one"),
    ]

    operations = [
        migrations.AddField(
            model_name="credential",
            name="engine_path",
            field=models.CharField(blank=True, default="", editable=False, max_length=301),
        ),
        migrations.RunPython(fill_engine_paths, migrations.RunPython.noop),
    ]
