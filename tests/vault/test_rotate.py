import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.inventory.models import Credential
from portal.vault import services
from portal.vault.client import VaultConflict
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db


def url(credential) -> str:
    return reverse("vault:credential_rotate", args=[credential.pk])


def test_get_is_rejected_with_405(client_alice, credential_a):
    assert client_alice.get(url(credential_a)).status_code == 405


def test_outsider_gets_404(client_charlie, credential_a, fake_vault):
    assert client_charlie.post(url(credential_a), **HTMX).status_code == 404
    assert fake_vault.calls == []


def test_read_only_member_gets_403(client_bob, credential_a, fake_vault):
    assert client_bob.post(url(credential_a), **HTMX).status_code == 403
    assert fake_vault.calls == []


def test_entitled_engineer_rotates_with_cas_and_both_steps_are_audited(
    client_alice, credential_a, fake_vault
):
    ref = str(services.secret_ref(credential_a))
    response = client_alice.post(url(credential_a), **HTMX)
    assert response.status_code == 200
    assert "version 1 → 2" in response.content.decode()
    new = fake_vault.secrets[ref][-1]
    assert new["username"] == "svc-a"  # other fields survive rotation
    assert new["password"] != "initial-secret-A1" and len(new["password"]) == 20
    assert new["password"] not in response.content.decode()
    events = list(AuditEvent.objects.filter(action="vault.secret.rotate").order_by("pk"))
    assert [(e.outcome, e.version_before, e.version_after) for e in events] == [
        ("attempt", 1, None),
        ("success", 1, 2),
    ]
    assert [operation for operation, _ in fake_vault.calls] == ["read", "write", "annotate"]


def test_concurrent_change_gives_409_and_nothing_is_overwritten(
    client_alice, credential_a, fake_vault, monkeypatch
):
    ref = services.secret_ref(credential_a)
    original_write = fake_vault.write

    def someone_else_writes_first(target, data, *, cas):
        fake_vault.put(ref, {"username": "svc-a", "password": "changed-on-site"})
        return original_write(target, data, cas=cas)

    monkeypatch.setattr(fake_vault, "write", someone_else_writes_first)
    response = client_alice.post(url(credential_a), **HTMX)
    assert response.status_code == 409
    assert fake_vault.secrets[str(ref)][-1]["password"] == "changed-on-site"
    outcomes = list(AuditEvent.objects.filter(action="vault.secret.rotate").values_list("outcome", flat=True))
    assert sorted(outcomes) == ["attempt", "denied"]


def test_service_rechecks_the_policy(charlie, credential_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.rotate_secret(charlie, credential_a)


@pytest.mark.parametrize(
    ("charset", "allowed"),
    [
        (Credential.Charset.HEX, set("0123456789abcdef")),
        (Credential.Charset.ALNUM, set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")),
        (
            Credential.Charset.ALNUM_SYMBOLS,
            set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            | set(services.SAFE_SYMBOLS),
        ),
    ],
)
def test_generated_values_follow_the_policy(credential_a, charset, allowed):
    credential_a.charset, credential_a.length = charset, 40
    values = {services.generate_value(credential_a) for _ in range(20)}
    assert len(values) == 20
    assert all(len(value) == 40 and set(value) <= allowed for value in values)


def test_conflict_error_type_maps_to_409():
    assert VaultConflict("x").status == 409


def test_rotation_is_not_attempted_when_the_attempt_cannot_be_audited(
    client_alice, credential_a, fake_vault, monkeypatch
):
    from portal.audit.models import AuditEvent as Model

    original_save = Model.save

    def failing_save(self, *args, **kwargs):
        if self.action == "vault.secret.rotate":
            raise RuntimeError("audit table locked")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Model, "save", failing_save)
    response = client_alice.post(url(credential_a), **HTMX)
    assert response.status_code == 503
    assert "nothing was shown or changed" in response.content.decode()
    assert [operation for operation, _ in fake_vault.calls] == ["read"]
    assert len(fake_vault.secrets[str(services.secret_ref(credential_a))]) == 1


def test_outcome_audit_failure_says_the_rotation_happened(
    client_alice, credential_a, fake_vault, monkeypatch
):
    from portal.audit.models import AuditEvent as Model

    original_save = Model.save

    def fail_on_outcome(self, *args, **kwargs):
        if self.action == "vault.secret.rotate" and self.outcome == "success":
            raise RuntimeError("audit table locked")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Model, "save", fail_on_outcome)
    response = client_alice.post(url(credential_a), **HTMX)
    assert response.status_code == 503
    assert "now version 2" in response.content.decode() and "Do not repeat it" in response.content.decode()
    assert AuditEvent.objects.filter(action="vault.secret.rotate", outcome="attempt").count() == 1


def test_rotating_a_secret_missing_from_vault_creates_nothing(client_alice, device_a, fake_vault):
    from tests.factories import make_credential

    missing = make_credential(device_a, "never-stored")
    response = client_alice.post(url(missing), **HTMX)
    assert response.status_code == 404
    assert "Nothing to rotate" in response.content.decode()
    assert str(services.secret_ref(missing)) not in fake_vault.secrets
