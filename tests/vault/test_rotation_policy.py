"""Maximum age, the "due for rotation" list and `manage.py rotate_due`."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.inventory.models import Credential
from portal.vault import services
from portal.vault.client import VaultUnavailable
from tests.factories import make_credential

pytestmark = pytest.mark.django_db
DAY = timezone.timedelta(days=1)


@pytest.fixture
def aged(tenant_a, device_a, fake_vault):
    """Tenant A rotates every 30 days; one credential is 40 days old, one 2 days, one is stricter (1 day)."""
    tenant_a.rotation_max_age_days = 30
    tenant_a.save()
    credentials = {}
    for name, age, own_max in (("old", 40, None), ("fresh", 2, None), ("strict", 2, 1)):
        credential = make_credential(device_a, name, max_age_days=own_max)
        fake_vault.put(services.secret_ref(credential), {"password": f"{name}-value-000"})
        Credential.objects.filter(pk=credential.pk).update(last_changed_at=timezone.now() - age * DAY)
        credentials[name] = credential
    return credentials


def due_names(client) -> list[str]:
    response = client.get(reverse("inventory:credentials_due"))
    assert response.status_code == 200
    return [row.record.name for row in response.context["table"].rows]


def test_due_list_shows_what_is_past_its_maximum_age(client_alice, aged):
    assert sorted(due_names(client_alice)) == ["old", "strict"]


def test_outsiders_see_nothing_due_of_other_tenants(client_charlie, aged):
    assert due_names(client_charlie) == []


@pytest.fixture
def vault_agrees(aged, fake_vault, monkeypatch):
    """Vault's own metadata says when each secret last changed: the ages of `aged`."""
    original = fake_vault.metadata

    def aged_metadata(ref):
        metadata = original(ref)
        age = 40 if "/old" in str(ref) else 2
        changed = (timezone.now() - age * DAY).isoformat().replace("+00:00", "Z")
        return type(metadata)(**{**metadata.__dict__, "updated_time": changed})

    monkeypatch.setattr(fake_vault, "metadata", aged_metadata)
    return aged


def test_rotate_due_rotates_what_is_due_with_one_event_each(vault_agrees, fake_vault):
    aged = vault_agrees
    out = io.StringIO()
    call_command("rotate_due", stdout=out)
    assert "Rotated 2, skipped 0 (changed meanwhile), failed 0 of 2 due." in out.getvalue()
    events = AuditEvent.objects.filter(action="vault.secret.rotate", outcome="success")
    assert sorted(events.values_list("credential_name", flat=True)) == ["old", "strict"]
    assert set(events.values_list("actor_name", flat=True)) == {"system:rotate_due"}
    assert set(events.values_list("ticket", flat=True)) == {"scheduled"}
    assert len(fake_vault.secrets[str(services.secret_ref(aged["fresh"]))]) == 1


def test_rotate_due_skips_what_was_changed_outside_the_portal_meanwhile(aged, fake_vault):
    # The fake Vault reports every secret as changed yesterday: only "strict" (1 day) is still due.
    out = io.StringIO()
    call_command("rotate_due", stdout=out)
    assert "Rotated 1, skipped 1 (changed meanwhile), failed 0 of 2 due." in out.getvalue()


def test_rotate_due_carries_on_past_failures_and_reports_them(vault_agrees, fake_vault, monkeypatch):
    original_write = fake_vault.write

    def failing_for_old(ref, data, *, cas):
        if "/old" in str(ref):
            raise VaultUnavailable("Vault at http://vault cannot be reached.")
        return original_write(ref, data, cas=cas)

    monkeypatch.setattr(fake_vault, "write", failing_for_old)
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"Rotated 1, skipped 0 \(changed meanwhile\), failed 1 of 2 due"):
        call_command("rotate_due", stdout=io.StringIO(), stderr=err)
    assert "failed: A-0001/old: Vault at http://vault cannot be reached." in err.getvalue()


def test_dry_run_rotates_nothing(aged, fake_vault):
    out = io.StringIO()
    call_command("rotate_due", "--dry-run", stdout=out)
    assert "2 credential(s) due; nothing rotated" in out.getvalue()
    assert not AuditEvent.objects.filter(action="vault.secret.rotate").exists()


def test_a_vault_password_policy_generates_the_value_when_named(
    client_alice, credential_a, fake_vault, monkeypatch
):
    credential_a.password_policy = "keydesk-device"
    credential_a.save()
    monkeypatch.setattr(
        fake_vault, "generate_password", lambda namespace, policy: "From-Vault-Policy-9", raising=False
    )
    client_alice.post(reverse("vault:credential_rotate", args=[credential_a.pk]), HTTP_HX_REQUEST="true")
    assert fake_vault.secrets[str(services.secret_ref(credential_a))][-1]["password"] == "From-Vault-Policy-9"
