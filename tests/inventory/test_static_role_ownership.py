"""A static role (one database or directory account in Vault) backs at most one credential, and a
credential's engine and role are fixed once it exists: otherwise an admin could point a credential
of one tenant at another tenant's account and that tenant's engineers could reveal and rotate it."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portal.inventory.models import Credential
from tests.factories import make_credential, make_device, make_tenant

pytestmark = pytest.mark.django_db

STATIC_KINDS = [Credential.Kind.DATABASE_STATIC, Credential.Kind.LDAP_STATIC]


def unsaved(device, kind, mount="database", role="device-db-demo", name="db-account") -> Credential:
    return Credential(device=device, name=name, kind=kind, engine_mount=mount, engine_role=role)


@pytest.mark.parametrize("kind", STATIC_KINDS)
def test_a_static_role_of_another_tenant_cannot_be_claimed(kind, device_a, device_b):
    make_credential(device_b, "db-account", kind=kind, engine_mount="database", engine_role="device-db-demo")
    with pytest.raises(ValidationError) as raised:
        unsaved(device_a, kind).full_clean()
    assert "already backs" in str(raised.value.message_dict["engine_role"])


def test_nor_twice_in_the_same_tenant_nor_across_the_two_static_kinds(device_a, tenant_a):
    make_credential(
        device_a, "db-account", kind="db_static", engine_mount="database", engine_role="device-db-demo"
    )
    other_device = make_device(tenant_a)
    with pytest.raises(ValidationError):
        unsaved(other_device, "ldap_static").full_clean()


def test_the_database_refuses_a_second_credential_on_one_static_role(device_a, device_b):
    make_credential(
        device_b, "db-account", kind="db_static", engine_mount="database", engine_role="device-db-demo"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        unsaved(device_a, "db_static").save()


def test_the_same_role_name_in_another_namespace_is_another_role(device_a):
    make_credential(
        device_a, "db-account", kind="db_static", engine_mount="database", engine_role="device-db-demo"
    )
    namespaced = make_device(make_tenant(vault_namespace="initech"))
    credential = unsaved(namespaced, "db_static")
    credential.full_clean()
    credential.save()


def test_a_namespace_written_into_the_mount_is_the_same_role(device_a):
    """OpenBao reads a leading namespace from the path too: `initech` + `database` is the same
    mount as the root namespace's `initech/database`."""
    namespaced = make_device(make_tenant(vault_namespace="initech"))
    make_credential(
        namespaced, "db-account", kind="db_static", engine_mount="database", engine_role="device-db-demo"
    )
    with pytest.raises(ValidationError):
        unsaved(device_a, "db_static", mount="initech/database").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        unsaved(device_a, "db_static", mount="initech/database").save()


def test_pki_roles_are_shared_by_many_devices_certificates(device_a, device_b):
    for device in (device_a, device_b):
        credential = unsaved(device, "pki", mount="pki", role="device", name="tls")
        credential.full_clean()
        credential.save()
    assert Credential.objects.filter(kind="pki", engine_role="device").count() == 2


@pytest.mark.parametrize("field", ["engine_mount", "engine_role"])
def test_engine_and_role_are_fixed_after_creation(field, device_a):
    credential = make_credential(
        device_a, "db-account", kind="db_static", engine_mount="database", engine_role="device-db-own"
    )
    setattr(credential, field, "device-db-demo")
    with pytest.raises(ValidationError) as raised:
        credential.full_clean()
    assert "Fixed once the credential exists" in str(raised.value.message_dict[field])


def test_a_tenants_namespace_change_reaches_its_credentials_engine_paths(device_a, tenant_a):
    """The database constraint reads the copy on the credential; it must not go stale."""
    credential = make_credential(
        device_a, "db-account", kind="db_static", engine_mount="database", engine_role="device-db-demo"
    )
    assert Credential.objects.get(pk=credential.pk).engine_path == "database"
    tenant_a.vault_namespace = "tenant-a"
    tenant_a.save()
    assert Credential.objects.get(pk=credential.pk).engine_path == "tenant-a/database"
    device_a.tenant = make_tenant()
    device_a.save()
    assert Credential.objects.get(pk=credential.pk).engine_path == "database"
