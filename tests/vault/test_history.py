"""Version history without values, and revealing an older version (always justified)."""

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.vault import services
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db


def history(client, credential):
    return client.get(reverse("vault:credential_history", args=[credential.pk]), **HTMX)


@pytest.fixture
def three_versions(credential_a, fake_vault):
    ref = services.secret_ref(credential_a)
    fake_vault.put(ref, {"username": "svc-a", "password": "second-value-222"})
    fake_vault.put(ref, {"username": "svc-a", "password": "third-value-333"})
    return credential_a


def test_history_lists_versions_without_values(client_alice, three_versions):
    response = history(client_alice, three_versions)
    body = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert (
        "current" in body
        and 'data-testid="reveal-version-1"' in body
        and 'data-testid="reveal-version-2"' in body
    )
    assert (
        "initial-secret-A1" not in body and "second-value-222" not in body and "third-value-333" not in body
    )


def test_read_only_member_sees_history_but_no_reveal_buttons(client_bob, three_versions):
    body = history(client_bob, three_versions).content.decode()
    assert "Versions of service-account" in body and "reveal-version" not in body


def test_outsider_gets_404(client_charlie, three_versions):
    assert history(client_charlie, three_versions).status_code == 404


def test_an_older_version_needs_a_justification(client_alice, three_versions, fake_vault):
    url = reverse("vault:credential_reveal", args=[three_versions.pk])
    prompt = client_alice.post(url, {"version": "1"}, **HTMX)
    assert prompt.status_code == 400 and "An older version" in prompt.content.decode()
    assert 'name="version" value="1"' in prompt.content.decode()
    assert [op for op, _ in fake_vault.calls] == []
    revealed = client_alice.post(
        url, {"version": "1", "ticket": "INC42", "reason": "Device restored from backup"}, **HTMX
    )
    assert revealed.status_code == 200 and "initial-secret-A1" in revealed.content.decode()
    event = AuditEvent.objects.get(action="vault.secret.read")
    assert (event.version_before, event.ticket) == (1, "INC42")


@pytest.mark.parametrize("junk", ["abc", "-1", "0", "1.5", "99999999999", "²", "٣", "0000000000001"])
def test_a_junk_version_is_a_400(client_alice, three_versions, junk):
    url = reverse("vault:credential_reveal", args=[three_versions.pk])
    assert client_alice.post(url, {"version": junk}, **HTMX).status_code == 400


def test_a_deleted_version_says_so(client_alice, three_versions, fake_vault):
    fake_vault.deleted.add((str(services.secret_ref(three_versions)), 2))
    assert "deleted" in history(client_alice, three_versions).content.decode()
    url = reverse("vault:credential_reveal", args=[three_versions.pk])
    response = client_alice.post(
        url, {"version": "2", "ticket": "INC42", "reason": "Checking the old value"}, **HTMX
    )
    assert response.status_code == 410


def test_rotation_writes_who_and_why_into_vaults_custom_metadata(client_alice, credential_a, fake_vault):
    client_alice.post(reverse("vault:credential_rotate", args=[credential_a.pk]), **HTMX)
    annotations = fake_vault.annotations[str(services.secret_ref(credential_a))]
    assert annotations["keydesk_changed_by"] == "alice" and annotations["keydesk_action"] == "rotate"
