import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.vault import services
from tests.conftest import HTMX, signed_in
from tests.factories import make_engineer, make_grant

pytestmark = pytest.mark.django_db


def url(credential) -> str:
    return reverse("vault:credential_update", args=[credential.pk])


@pytest.fixture
def field_engineer(tenant_a):
    user = make_engineer("fiona")
    make_grant(tenant_a, "view", "update", user=user)
    return user


@pytest.fixture
def client_fiona(field_engineer):
    return signed_in(field_engineer)


def valid(version: int = 1, value: str = "Typed-On-Site-42") -> dict:
    return {"value": value, "confirm": value, "expected_version": str(version)}


def test_outsider_gets_404(client_charlie, credential_a):
    assert client_charlie.get(url(credential_a), **HTMX).status_code == 404
    assert client_charlie.post(url(credential_a), valid(), **HTMX).status_code == 404


def test_engineer_without_update_right_gets_403(client_alice, credential_a, fake_vault):
    assert client_alice.post(url(credential_a), valid(), **HTMX).status_code == 403
    assert [op for op, _ in fake_vault.calls] == []


def test_form_carries_the_current_version(client_fiona, credential_a):
    response = client_fiona.get(url(credential_a), **HTMX)
    assert response.status_code == 200
    assert 'name="expected_version" value="1"' in response.content.decode()


def test_entitled_engineer_stores_a_typed_value_with_cas_and_audit(
    client_fiona, credential_a, fake_vault, caplog
):
    response = client_fiona.post(url(credential_a), valid(), **HTMX)
    assert response.status_code == 200
    assert "version 1 → 2" in response.content.decode()
    assert "Typed-On-Site-42" not in response.content.decode()
    stored = fake_vault.secrets[str(services.secret_ref(credential_a))][-1]
    assert stored == {"username": "svc-a", "password": "Typed-On-Site-42"}
    events = AuditEvent.objects.filter(action="vault.secret.update").order_by("pk")
    assert [(e.outcome, e.version_before, e.version_after) for e in events] == [
        ("attempt", 1, None),
        ("success", 1, 2),
    ]
    assert "Typed-On-Site-42" not in str(list(AuditEvent.objects.values())) + caplog.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"value": "abc", "confirm": "abd", "expected_version": "1"}, "do not match"),
        ({"value": "   ", "confirm": "   ", "expected_version": "1"}, "cannot be empty"),
        ({"value": " padded", "confirm": " padded", "expected_version": "1"}, "starts or ends with a space"),
        ({"value": "two\nlines", "confirm": "two\nlines", "expected_version": "1"}, "control characters"),
        ({"value": "x" * 5000, "confirm": "x" * 5000, "expected_version": "1"}, "at most 4096"),
        ({"value": "ok-value", "confirm": "ok-value", "expected_version": "abc"}, "form is out of date"),
        ({"value": "zero\u200bwidth", "confirm": "zero\u200bwidth", "expected_version": "1"}, "U+200B"),
        ({"value": "evil\u202etxt", "confirm": "evil\u202etxt", "expected_version": "1"}, "U+202E"),
        ({"value": "next\u0085line", "confirm": "next\u0085line", "expected_version": "1"}, "U+0085"),
        ({}, "This field is required"),
    ],
)
def test_bad_input_is_a_400_with_a_message_and_nothing_is_written(
    client_fiona, credential_a, fake_vault, data, message
):
    response = client_fiona.post(url(credential_a), data, **HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'value="' + data.get("value", "§") not in response.content.decode()  # typed values are not echoed
    assert [op for op, _ in fake_vault.calls] == []


def test_stale_expected_version_is_a_conflict_and_nothing_is_overwritten(
    client_fiona, credential_a, fake_vault
):
    fake_vault.put(services.secret_ref(credential_a), {"username": "svc-a", "password": "rotated-meanwhile"})
    response = client_fiona.post(url(credential_a), valid(version=1), **HTMX)
    assert response.status_code == 409
    assert "now at version 2" in response.content.decode()
    assert fake_vault.secrets[str(services.secret_ref(credential_a))][-1]["password"] == "rotated-meanwhile"
    assert AuditEvent.objects.filter(action="vault.secret.update", outcome="denied").exists()


def test_after_the_password_prompt_the_engineer_is_asked_to_retype(client_fiona, credential_a):
    response = client_fiona.post(url(credential_a), {"expected_version": "1"}, **HTMX)
    assert response.status_code == 400 and "Type the new value again" in response.content.decode()
