"""Load the demo data set: 3 tenants, 36 devices, 2 credentials each, written into OpenBao."""

from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.entitlements.models import Entitlement
from portal.inventory.models import Credential, Device, Tag, Tenant
from portal.vault import services as vault
from portal.vault.client import VaultConflict, VaultError

TENANTS = [
    # name, slug, namespace, path prefix, team group, sites, device model
    (
        "Acme Diagnostics",
        "acme",
        "acme",
        "devices",
        "team-acme",
        ["Basel Lab 2", "Zurich ICU"],
        "cobas pro c503",
    ),
    (
        "Globex Pharma",
        "globex",
        "globex",
        "devices",
        "team-globex",
        ["Lyon Pharmacy", "Turin Ward 4"],
        "Pyxis MedStation",
    ),
    (
        "Initech Clinics",
        "initech",
        "",
        "initech",
        "team-initech",
        ["Austin Clinic", "Dallas Clinic"],
        "Edge Gateway 2",
    ),
]
DEVICES_PER_TENANT = 12
TAGS = ["pilot", "icu", "legacy"]


class Command(BaseCommand):
    help = "Create the demo tenants, devices, credentials and entitlements, and store the secrets in Vault."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}
            credentials = []
            for name, slug, namespace, prefix, team, sites, model in TENANTS:
                tenant, _ = Tenant.objects.update_or_create(
                    slug=slug,
                    defaults={
                        "name": name,
                        "vault_namespace": namespace,
                        "kv_mount": "keydesk",
                        "path_prefix": prefix,
                    },
                )
                group, _ = Group.objects.get_or_create(name=team)
                Entitlement.objects.get_or_create(
                    group=group,
                    tenant=tenant,
                    device=None,
                    site="",
                    tag=None,
                    defaults={
                        "can_view": True,
                        "can_reveal": True,
                        "can_rotate": True,
                        "can_update": True,
                        "note": "demo: the team's own tenant",
                    },
                )
                for number in range(1, DEVICES_PER_TENANT + 1):
                    serial = f"{slug.upper()}-{number:04d}"
                    device, _ = Device.objects.update_or_create(
                        serial=serial,
                        defaults={
                            "tenant": tenant,
                            "name": f"{model} #{number}",
                            "model_name": model,
                            "site": sites[number % len(sites)],
                            "status": Device.Status.MAINTENANCE if number % 7 == 0 else Device.Status.ACTIVE,
                        },
                    )
                    device.tags.set([tags[TAGS[number % len(TAGS)]]] if number % 3 == 0 else [])
                    for cred_name, field, charset in (
                        ("service-account", "password", Credential.Charset.ALNUM_SYMBOLS),
                        ("registry-token", "token", Credential.Charset.HEX),
                    ):
                        credential, _ = Credential.objects.get_or_create(
                            device=device,
                            name=cred_name,
                            defaults={
                                "rotate_field": field,
                                "charset": charset,
                                "length": 32 if charset == Credential.Charset.HEX else 24,
                            },
                        )
                        credentials.append(credential)
        written = 0
        for credential in credentials:
            initial = {credential.rotate_field: vault.generate_value(credential)}
            if credential.name == "service-account":
                initial["username"] = f"svc-{credential.device.serial.lower()}"
            try:
                vault.store_initial_value(credential, initial)
                written += 1
            except VaultConflict:
                pass  # already in Vault from an earlier run: keep its value and history
            except VaultError as exc:
                raise CommandError(f"Could not write {credential} to Vault: {exc.message}") from None
            finally:
                initial.clear()
        self._beyond_kv()
        self.stdout.write(
            f"Demo data: {Tenant.objects.count()} tenants, {Device.objects.count()} devices, "
            f"{Credential.objects.count()} credentials ({written} newly written to Vault)."
        )

    def _beyond_kv(self) -> None:
        """One Initech gateway also has a database account, a directory account (static roles of
        OpenBao's database and LDAP engines) and a device certificate (PKI)."""
        from portal.access.policy import SystemActor
        from portal.vault import services as vault_services

        gateway = Device.objects.get(serial="INITECH-0001")
        extras = [
            ("db-account", Credential.Kind.DATABASE_STATIC, "database", "device-db-demo"),
            ("directory-account", Credential.Kind.LDAP_STATIC, "ldap", "svc-device"),
            ("tls", Credential.Kind.PKI, "pki", "device"),
        ]
        for name, kind, mount, role in extras:
            credential, _ = Credential.objects.get_or_create(
                device=gateway, name=name, defaults={"kind": kind, "engine_mount": mount, "engine_role": role}
            )
            seeder = SystemActor(name="seed_demo", actions=frozenset({"view", "rotate"}))
            # The dev OpenBao forgets everything when it restarts: issue the certificate again then.
            if kind == Credential.Kind.PKI and vault_services.credential_status(seeder, credential).error:
                try:
                    vault_services.rotate_secret(seeder, credential)
                except VaultError as exc:
                    self.stderr.write(f"Could not issue the demo certificate: {exc.message}")
