import logging

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.vault.client import VaultSealed
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db


def url(credential) -> str:
    return reverse("vault:credential_reveal", args=[credential.pk])


def test_get_is_rejected_with_405(client_alice, credential_a):
    assert client_alice.get(url(credential_a)).status_code == 405


def test_anonymous_is_sent_to_login(client_anon, credential_a):
    assert client_anon.post(url(credential_a)).status_code == 302


def test_outsider_gets_404_and_it_is_audited(client_charlie, credential_a, fake_vault):
    response = client_charlie.post(url(credential_a), **HTMX)
    assert response.status_code == 404
    assert fake_vault.calls == []
    event = AuditEvent.objects.get(action="access.denied", actor_name="charlie")
    assert (event.credential_name, event.outcome) == ("service-account", "denied")


def test_read_only_member_gets_403_and_it_is_audited(client_bob, credential_a, fake_vault):
    response = client_bob.post(url(credential_a), **HTMX)
    assert response.status_code == 403
    assert fake_vault.calls == []
    assert AuditEvent.objects.filter(action="access.denied", actor_name="bob", detail__status=403).exists()


def test_admin_without_entitlement_cannot_reveal(client_carol, credential_a):
    assert client_carol.post(url(credential_a), **HTMX).status_code == 403


def test_entitled_engineer_sees_the_value_not_cached_and_audited(client_alice, credential_a, caplog):
    caplog.set_level(logging.DEBUG)
    response = client_alice.post(url(credential_a), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "initial-secret-A1" in body and "svc-a" in body
    assert "<html" not in body
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="vault.secret.read")
    assert (event.actor_name, event.outcome, event.version_before) == ("alice", "success", 1)
    assert event.credential_name == "service-account" and event.device_name == "A-0001"
    assert "initial-secret-A1" not in str(AuditEvent.objects.values())
    assert "initial-secret-A1" not in caplog.text


def test_value_is_not_returned_when_the_audit_cannot_be_written(client_alice, credential_a, monkeypatch):
    from portal.audit.models import AuditEvent as Model

    original_save = Model.save

    def failing_save(self, *args, **kwargs):
        if self.action == "vault.secret.read":
            raise RuntimeError("disk full")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Model, "save", failing_save)
    response = client_alice.post(url(credential_a), **HTMX)
    assert response.status_code == 503
    assert "initial-secret-A1" not in response.content.decode()
    assert "audit trail could not be written" in response.content.decode()


def test_vault_sealed_gives_a_clear_503_and_an_error_event(client_alice, credential_a, fake_vault):
    fake_vault.fail_with = VaultSealed("Vault is sealed. An operator must unseal it.")
    response = client_alice.post(url(credential_a), **HTMX)
    assert response.status_code == 503
    assert "sealed" in response.content.decode()
    assert AuditEvent.objects.filter(action="vault.secret.read", outcome="error").exists()


def test_deleted_secret_is_410_with_a_message(client_alice, credential_a, fake_vault):
    from portal.vault.services import secret_ref

    fake_vault.deleted.add((str(secret_ref(credential_a)), 1))
    response = client_alice.post(url(credential_a), **HTMX)
    assert response.status_code == 410
    assert "deleted" in response.content.decode()


def test_reveal_is_one_vault_call(client_alice, credential_a, fake_vault):
    client_alice.post(url(credential_a), **HTMX)
    assert [operation for operation, _ in fake_vault.calls] == ["read"]


def test_the_secret_field_is_masked_and_the_username_is_not(client_alice, credential_a):
    body = client_alice.post(url(credential_a), **HTMX).content.decode()
    assert 'type="password" readonly value="initial-secret-A1"' in body
    assert 'type="text" readonly value="svc-a"' in body


def test_csrf_failure_says_to_reload(credential_a, alice):
    from django.test import Client

    from tests.conftest import signed_in

    client = signed_in(alice, Client(enforce_csrf_checks=True))
    response = client.post(url(credential_a), **HTMX)
    assert response.status_code == 403
    assert "Reload the page" in response.content.decode()
    assert "DEBUG" not in response.content.decode()
