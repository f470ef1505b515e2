"""The gateway against the real OpenBao when things go wrong: expiring and revoked tokens, refused
connections, slowness, rate limits, a sealed server — and the call budget when all is well."""

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.vault import client as vault_client
from portal.vault import services
from portal.vault.client import VaultClient, VaultSealed, VaultUnavailable
from tests.conftest import HTMX, signed_in
from tests.factories import make_credential, make_device, make_engineer, make_grant
from tests.integration.proxy import FlakyProxy

pytestmark = pytest.mark.django_db


def bao_run(*args: str) -> str:
    token = Path(os.environ["KEYDESK_BAO_ROOT_TOKEN_FILE"]).read_text().strip()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "BAO_ADDR": settings.VAULT_ADDR,
        "BAO_TOKEN": token,
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    result = subprocess.run(
        [os.environ["KEYDESK_VAULT_BIN"], *args], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def fresh_client(addr: str | None = None, **options) -> VaultClient:
    options = {
        "role_id": settings.VAULT_ROLE_ID,
        "secret_id": settings.VAULT_SECRET_ID,
        "namespace_approles": settings.VAULT_NAMESPACE_APPROLES,
        **options,
    }
    return VaultClient(addr or settings.VAULT_ADDR, **options)


@pytest.fixture
def engineer(acme_tenant):
    make_grant(acme_tenant, "view", "reveal", "rotate", group="team-acme")
    return make_engineer("alice", "team-acme")


@pytest.fixture
def credential(acme_tenant):
    credential = make_credential(make_device(acme_tenant))
    services.store_initial_value(
        credential, {"username": "svc", "password": services.generate_value(credential)}
    )
    return credential


def test_steady_state_reveal_is_one_call_and_rotation_at_most_three(engineer, credential):
    vault = vault_client.get_client()
    calls, logins = vault.calls, vault.logins
    services.reveal_secret(engineer, credential)
    assert (vault.calls - calls, vault.logins - logins) == (1, 0)
    calls = vault.calls
    services.rotate_secret(engineer, credential)
    assert vault.calls - calls <= 3 and vault.logins == logins


def test_token_is_renewed_before_it_expires_without_a_new_login(credential):
    vault = fresh_client()
    ref = services.secret_ref(credential)
    vault.metadata(ref)
    assert (vault.logins, vault.renewals) == (1, 0)
    vault._session(ref.namespace).renew_at = (
        time.monotonic() - 1
    )  # two thirds of the token's life have passed
    vault.metadata(ref)
    assert (vault.logins, vault.renewals) == (1, 1)


def test_a_revoked_token_is_replaced_mid_request_without_the_engineer_noticing(client, engineer, credential):
    vault = vault_client.get_client()
    vault.metadata(services.secret_ref(credential))
    bao_run(
        "token",
        "revoke",
        f"-namespace={credential.device.tenant.vault_namespace}",
        vault._session(credential.device.tenant.vault_namespace).token,
    )
    logins = vault.logins
    response = signed_in(engineer, client).post(
        reverse("vault:credential_reveal", args=[credential.pk]), **HTMX
    )
    assert response.status_code == 200 and vault.logins == logins + 1


def test_reads_retry_a_briefly_refused_connection_but_writes_do_not(credential):
    proxy = FlakyProxy("127.0.0.1", int(settings.VAULT_ADDR.rsplit(":", 1)[1]))
    try:
        vault = fresh_client(proxy.url)
        ref = services.secret_ref(credential)
        vault._login(ref.namespace)
        proxy.refuse = 1
        assert vault.metadata(ref).current_version == 1
        proxy.refuse = 5
        vault._clients.clear()  # drop the pooled connection so the next read must connect
        with pytest.raises(VaultUnavailable, match="cannot be reached"):
            vault.metadata(ref)
        proxy.refuse, before = 1, proxy.connections
        vault._clients.clear()  # no pooled connection: the write has to connect
        with pytest.raises(VaultUnavailable):
            vault.write(ref, {"password": "never-written"}, cas=1)
        assert proxy.connections == before + 1  # tried once, not retried
    finally:
        proxy.close()


def test_a_slow_vault_is_a_clear_timeout(credential):
    proxy = FlakyProxy("127.0.0.1", int(settings.VAULT_ADDR.rsplit(":", 1)[1]))
    proxy.delay = 3
    try:
        vault = fresh_client(proxy.url, timeout=1, read_retries=0)
        with pytest.raises(VaultUnavailable, match="did not answer within 1s"):
            vault.metadata(services.secret_ref(credential))
    finally:
        proxy.close()


def test_rate_limiting_is_a_clear_message(credential):
    bao_run("write", "sys/quotas/rate-limit/keydesk-test", "rate=1", "interval=60s", "path=acme/")
    try:
        vault = fresh_client(read_retries=1)
        ref = services.secret_ref(credential)
        with pytest.raises(VaultUnavailable, match="rate-limiting"):
            for _ in range(5):
                vault.metadata(ref)
    finally:
        bao_run("delete", "sys/quotas/rate-limit/keydesk-test")


def test_a_sealed_vault_is_a_clear_503_audited_and_unsealing_brings_it_back(client, engineer, credential):
    log = Path(os.environ["KEYDESK_BAO_AUDIT_LOG"]).with_name("server.log").read_text()
    unseal_key = re.search(r"Unseal Key: (\S+)", log).group(1)
    url = reverse("vault:credential_reveal", args=[credential.pk])
    engineer_client = signed_in(engineer, client)
    bao_run("operator", "seal")
    try:
        response = engineer_client.post(url, **HTMX)
        assert response.status_code == 503 and "sealed" in response.content.decode()
        assert AuditEvent.objects.filter(action="vault.secret.read", outcome="error").exists()
        with pytest.raises(VaultSealed):
            fresh_client().metadata(services.secret_ref(credential))
    finally:
        bao_run("operator", "unseal", unseal_key)
    for _ in range(50):
        if engineer_client.post(url, **HTMX).status_code == 200:
            break
        time.sleep(0.2)
    else:
        pytest.fail("OpenBao did not come back after unsealing")


def test_rotation_tells_vaults_own_metadata_who_rotated_and_why(acme_tenant, credential):
    from tests.integration.conftest import bao

    acme_tenant.requires_justification = True
    acme_tenant.save()
    make_grant(acme_tenant, "view", "rotate", group="team-acme")
    user = make_engineer("alice", "team-acme")
    services.rotate_secret(user, credential, justification="Suspected leak after visit", ticket="INC7")
    ref = services.secret_ref(credential)
    metadata = bao("kv metadata get", f"-mount={ref.mount}", ref.path, namespace=ref.namespace)["data"]
    assert metadata["custom_metadata"]["keydesk_changed_by"] == "alice"
    assert metadata["custom_metadata"]["keydesk_ticket"] == "INC7"
    assert metadata["current_version"] == 2


def test_cas_required_and_max_versions_mounts_work_and_say_so(client, engineer, credential):
    ref = services.secret_ref(credential)
    bao_run(
        "kv",
        "metadata",
        "put",
        f"-namespace={ref.namespace}",
        f"-mount={ref.mount}",
        "-cas-required=true",
        "-max-versions=2",
        ref.path,
    )
    for _ in range(3):
        services.rotate_secret(engineer, credential)  # check-and-set always sent, so cas_required is fine
    metadata = services.history(engineer, credential)
    assert metadata.cas_required and metadata.max_versions == 2
    assert [info.version for info in metadata.versions] == [4, 3]
    page = signed_in(engineer, client).get(reverse("vault:credential_history", args=[credential.pk]), **HTMX)
    assert "Vault keeps the last 2" in page.content.decode() and "check-and-set" in page.content.decode()
    url = reverse("vault:credential_reveal", args=[credential.pk])
    pruned = client.post(
        url, {"version": "1", "ticket": "INC1", "reason": "Comparing with the old value"}, **HTMX
    )
    assert pruned.status_code == 404 and "may have been pruned" in pruned.content.decode()


def test_a_vault_password_policy_makes_the_new_value(engineer, credential):
    from tests.integration.conftest import bao_kv_get

    credential.password_policy = "keydesk-device"
    credential.save()
    services.rotate_secret(engineer, credential)
    ref = services.secret_ref(credential)
    value = bao_kv_get(ref.namespace, ref.mount, ref.path)["data"]["password"]
    assert len(value) == 28 and any(char in "-_.:" for char in value) and sum(c.isdigit() for c in value) >= 2


def test_a_frozen_vault_times_out_with_a_clear_message_and_recovers(client, engineer, credential):
    """The real OpenBao process stopped (SIGSTOP) mid-test: requests hang, the portal gives up
    after VAULT_TIMEOUT with a message, and carries on once the process continues (SIGCONT)."""
    import signal

    pid = int(Path(os.environ["KEYDESK_BAO_AUDIT_LOG"]).with_name("bao.pid").read_text().split()[0])
    vault = fresh_client(timeout=1, read_retries=0)
    ref = services.secret_ref(credential)
    vault.metadata(ref)
    os.kill(pid, signal.SIGSTOP)
    try:
        with pytest.raises(VaultUnavailable, match="did not answer within 1s"):
            vault.metadata(ref)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert vault.metadata(ref).current_version == 1


def test_a_deleted_latest_version_is_a_clear_410(client, engineer, credential):
    ref = services.secret_ref(credential)
    bao_run("kv", "delete", f"-namespace={ref.namespace}", f"-mount={ref.mount}", ref.path)
    response = signed_in(engineer, client).post(
        reverse("vault:credential_reveal", args=[credential.pk]), **HTMX
    )
    assert response.status_code == 410 and "deleted or destroyed" in response.content.decode()
    page = client.get(credential.device.get_absolute_url()).content.decode()
    assert "deleted in Vault" in page


def test_vault_calls_are_timed_by_operation_and_outcome(engineer, credential):
    from prometheus_client import REGISTRY

    def count(outcome: str) -> float:
        return (
            REGISTRY.get_sample_value(
                "keydesk_vault_call_seconds_count", {"operation": "read", "outcome": outcome}
            )
            or 0.0
        )

    before = count("ok")
    services.reveal_secret(engineer, credential)
    assert count("ok") == before + 1


def test_readiness_fails_when_vault_is_up_but_refuses_the_portals_login(client):
    """A healthy OpenBao that rejects the portal's AppRole serves nobody: /readyz must say so,
    while /healthz (liveness) stays up, since restarting the portal would not mend it."""
    refused = fresh_client(secret_id="00000000-0000-0000-0000-000000000000")
    previous = vault_client.set_client(refused)
    try:
        ready, live = client.get(reverse("readyz")), client.get(reverse("healthz"))
    finally:
        vault_client.set_client(previous)
    assert (ready.status_code, ready.json()["vault"]) == (503, "the portal's login is refused")
    assert "00000000" not in ready.content.decode()
    assert (live.status_code, live.json()["vault"]) == (200, "ok")
    working = fresh_client()
    assert working.login_state() == "ok" and working.logins == 1
    assert working.login_state() == "ok" and working.logins == 1  # the token is reused, not renewed
