import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def url(device) -> str:
    return reverse("inventory:device_detail", args=[device.pk])


def test_anonymous_is_sent_to_login(client_anon, device_a):
    assert client_anon.get(url(device_a)).status_code == 302


def test_outsider_gets_404_and_the_attempt_is_audited(client_charlie, device_a):
    response = client_charlie.get(url(device_a))
    assert response.status_code == 404
    event = AuditEvent.objects.get(action="access.denied", actor_name="charlie")
    assert event.device_name == "A-0001" and event.detail["status"] == 404


def test_unknown_device_is_404(client_alice, device_a):
    assert client_alice.get(reverse("inventory:device_detail", args=[999999])).status_code == 404


def test_engineer_sees_credentials_with_vault_metadata_and_no_value(client_alice, credential_a):
    response = client_alice.get(url(credential_a.device))
    body = response.content.decode()
    assert response.status_code == 200
    assert "service-account" in body
    assert 'data-testid="version-service-account">1<' in body
    assert "initial-secret-A1" not in body
    assert "Reveal" in body and "Rotate" in body
    assert AuditEvent.objects.filter(action="inventory.device.view", actor_name="alice").exists()


def test_read_only_member_sees_no_reveal_or_rotate_buttons(client_bob, credential_a):
    body = client_bob.get(url(credential_a.device)).content.decode()
    assert "metadata only" in body
    assert 'data-testid="reveal-' not in body and 'data-testid="rotate-' not in body


def test_vault_down_still_renders_the_page_with_a_message(client_alice, credential_a, fake_vault):
    from portal.vault.client import VaultUnavailable

    fake_vault.fail_with = VaultUnavailable("Vault at http://vault cannot be reached.")
    response = client_alice.get(url(credential_a.device))
    assert response.status_code == 200
    assert "cannot be reached" in response.content.decode()
    assert AuditEvent.objects.filter(action="vault.secret.metadata", outcome="error").exists()
