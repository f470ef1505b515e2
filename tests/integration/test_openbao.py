"""Reveal and rotate against the real OpenBao dev server, through the portal's AppRole."""

import logging

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.vault import client as vault_client
from portal.vault import services
from portal.vault.client import SecretRef, VaultClient, VaultConflict, VaultForbidden, VaultUnavailable
from tests.conftest import HTMX, signed_in
from tests.factories import make_credential, make_device, make_engineer, make_grant
from tests.integration.conftest import bao, bao_kv_get

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def engineer_client(client, acme_tenant):
    user = make_engineer("alice", "team-acme")
    make_grant(acme_tenant, "view", "reveal", "rotate", group="team-acme")
    signed_in(user, client)
    return client


@pytest.fixture
def stored_credential(acme_tenant):
    device = make_device(acme_tenant, serial=f"{acme_tenant.path_prefix.upper()}-1")
    credential = make_credential(device, "service-account", length=28)
    services.store_initial_value(
        credential, {"username": "svc-1", "password": services.generate_value(credential)}
    )
    return credential


def test_portal_logs_in_with_approle_not_a_root_token():
    client = vault_client.get_client()
    sessions = client._sessions
    assert sessions[""].role_id and set(sessions) == {"", "acme", "globex"}
    ref = SecretRef("", "keydesk", "it-probe/never-written")
    with pytest.raises(vault_client.VaultNotFound):
        client.read(ref)
    assert client.logins == 1


def test_revealed_value_equals_what_bao_kv_get_shows(engineer_client, stored_credential, caplog):
    caplog.set_level(logging.DEBUG)
    ref = services.secret_ref(stored_credential)
    in_bao = bao_kv_get(ref.namespace, ref.mount, ref.path)
    response = engineer_client.post(reverse("vault:credential_reveal", args=[stored_credential.pk]), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert in_bao["data"]["password"] in body and "svc-1" in body
    event = AuditEvent.objects.get(action="vault.secret.read")
    assert event.version_before == in_bao["metadata"]["version"] == 1
    assert event.vault_request_id  # ties the portal event to OpenBao's own audit log
    assert in_bao["data"]["password"] not in caplog.text
    assert in_bao["data"]["password"] not in str(list(AuditEvent.objects.values()))


def test_rotation_raises_the_openbao_version_by_one(engineer_client, stored_credential):
    ref = services.secret_ref(stored_credential)
    before = bao_kv_get(ref.namespace, ref.mount, ref.path)
    response = engineer_client.post(reverse("vault:credential_rotate", args=[stored_credential.pk]), **HTMX)
    assert response.status_code == 200
    after = bao_kv_get(ref.namespace, ref.mount, ref.path)
    assert after["metadata"]["version"] == before["metadata"]["version"] + 1
    assert after["data"]["password"] != before["data"]["password"]
    assert len(after["data"]["password"]) == 28 and after["data"]["username"] == "svc-1"
    assert after["data"]["password"] not in response.content.decode()
    rotated = AuditEvent.objects.filter(action="vault.secret.rotate").order_by("pk")
    assert [(e.outcome, e.version_before, e.version_after) for e in rotated] == [
        ("attempt", 1, None),
        ("success", 1, 2),
    ]


def test_stale_check_and_set_is_a_conflict_not_an_overwrite(stored_credential):
    ref = services.secret_ref(stored_credential)
    bao(
        "kv put",
        f"-mount={ref.mount}",
        ref.path,
        "username=svc-1",
        "password=set-on-site",
        namespace=ref.namespace,
    )
    with pytest.raises(VaultConflict):
        vault_client.get_client().write(ref, {"password": "stale"}, cas=1)
    assert bao_kv_get(ref.namespace, ref.mount, ref.path)["data"]["password"] == "set-on-site"


def test_root_namespace_tenant_works_with_a_mount_and_prefix(root_ns_tenant):
    device = make_device(root_ns_tenant)
    credential = make_credential(device, "registry-token", rotate_field="token")
    services.store_initial_value(credential, {"token": "abc123abc123abc123"})
    ref = services.secret_ref(credential)
    assert bao_kv_get("", ref.mount, ref.path)["data"]["token"] == "abc123abc123abc123"


def test_portal_policy_refuses_paths_outside_its_mounts():
    with pytest.raises(VaultForbidden):
        vault_client.get_client().read(SecretRef("", "other", "anything"))


def test_outsider_gets_404_on_reveal_and_rotate_and_each_attempt_is_audited(
    client, stored_credential, acme_tenant
):
    from tests.factories import make_tenant

    other = make_tenant("Globex", slug=f"globex-{acme_tenant.pk}", vault_namespace="globex", path_prefix="x")
    outsider = make_engineer("bruno", "team-globex")
    make_grant(other, "view", "reveal", "rotate", group="team-globex")
    signed_in(outsider, client)
    device_url = reverse("inventory:device_detail", args=[stored_credential.device.pk])
    assert client.get(device_url).status_code == 404
    assert (
        client.post(reverse("vault:credential_reveal", args=[stored_credential.pk]), **HTMX).status_code
        == 404
    )
    assert (
        client.post(reverse("vault:credential_rotate", args=[stored_credential.pk]), **HTMX).status_code
        == 404
    )
    denials = AuditEvent.objects.filter(action="access.denied", actor_name="bruno", outcome="denied")
    assert denials.count() == 3
    assert set(denials.values_list("device_name", flat=True)) == {stored_credential.device.serial}


def test_vault_unreachable_is_a_clear_503_and_audited(engineer_client, stored_credential, settings):
    unreachable = VaultClient("http://127.0.0.1:9", role_id="r", secret_id="s", timeout=2)
    previous = vault_client.set_client(unreachable)
    try:
        response = engineer_client.post(
            reverse("vault:credential_reveal", args=[stored_credential.pk]), **HTMX
        )
    finally:
        vault_client.set_client(previous)
    assert response.status_code == 503
    assert "cannot be reached" in response.content.decode()
    assert AuditEvent.objects.filter(action="vault.secret.read", outcome="error").exists()
    assert isinstance(VaultUnavailable("x"), vault_client.VaultError)


def test_each_tenant_namespace_has_its_own_token_that_cannot_read_another(stored_credential):
    """The portal's token for tenant namespace acme cannot read namespace globex, nor can the root one."""
    from django.conf import settings

    approles = settings.VAULT_NAMESPACE_APPROLES
    vault = VaultClient(
        settings.VAULT_ADDR,
        role_id=settings.VAULT_ROLE_ID,
        secret_id=settings.VAULT_SECRET_ID,
        namespace_approles={"acme": approles["acme"]},
    )
    ref = services.secret_ref(stored_credential)
    assert ref.namespace == "acme" and vault.read(ref).version == 1
    globex_ref = SecretRef("globex", "keydesk", "devices/anything")
    with pytest.raises(VaultForbidden):
        vault.read(globex_ref)  # falls back to the root AppRole, whose policy stops at the root namespace
    vault._sessions["globex"] = vault._sessions["acme"]  # acme's token, sent to globex
    with pytest.raises(VaultForbidden):
        vault.read(globex_ref)
