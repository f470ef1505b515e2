import pytest
from django.urls import reverse

from portal.audit import services as audit
from portal.audit.models import AuditEvent, AuditImmutable
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db


def test_record_copies_names_so_history_survives_deletion(alice, credential_a):
    event = audit.record(alice, "vault.secret.read", target=credential_a)
    credential_a.device.delete()
    event.refresh_from_db()
    assert (event.tenant_name, event.device_name, event.credential_name) == (
        "Tenant A",
        "A-0001",
        "service-account",
    )


def test_events_cannot_be_updated_or_deleted(alice):
    event = audit.record(alice, "accounts.login")
    event.action = "something.else"
    with pytest.raises(AuditImmutable):
        event.save()
    with pytest.raises(AuditImmutable):
        event.delete()
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.all().delete()


def test_secret_looking_detail_keys_are_refused(alice):
    with pytest.raises(ValueError, match="secret-looking"):
        audit.record(alice, "vault.secret.read", detail={"password": "x"})


def test_each_event_goes_to_the_siem_logger_as_json(alice, caplog, django_capture_on_commit_callbacks):
    import json

    caplog.set_level("INFO", logger="keydesk.audit")
    with django_capture_on_commit_callbacks(execute=True):
        audit.record(alice, "accounts.login")
    line = json.loads(caplog.records[-1].getMessage())
    assert (line["actor"], line["action"], line["outcome"]) == ("alice", "accounts.login", "success")


URL = reverse("audit:event_list")


def test_auditor_sees_events_newest_first_and_filters(client_dave, alice, bob):
    audit.record(alice, "vault.secret.read")
    audit.record(bob, "vault.secret.rotate")
    response = client_dave.get(URL)
    rows = [row.record.actor_name for row in response.context["table"].rows]
    assert response.status_code == 200 and rows[:2] == ["bob", "alice"]
    filtered = client_dave.get(URL, {"actor": "alice"}).context["table"].rows
    assert {row.record.actor_name for row in filtered} == {"alice"}
    by_action = client_dave.get(URL, {"action": "vault.secret.rotate"}).context["table"].rows
    assert {row.record.action for row in by_action} == {"vault.secret.rotate"}


@pytest.mark.parametrize("who", ["client_alice", "client_carol"])
def test_non_auditors_get_403(request, who):
    assert request.getfixturevalue(who).get(URL).status_code == 403


def test_htmx_returns_the_results_fragment(client_dave, alice):
    audit.record(alice, "accounts.login")
    response = client_dave.get(URL, **HTMX)
    assert "<html" not in response.content.decode() and 'id="results"' in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_audit_page_query_count_is_fixed(client_dave, alice, django_assert_max_num_queries):
    for number in range(120):
        audit.record(alice, "accounts.login", message=str(number))
    with django_assert_max_num_queries(10):
        assert client_dave.get(URL).status_code == 200


def test_per_page_cannot_be_raised(client_dave, alice):
    for number in range(60):
        audit.record(alice, "accounts.login", message=str(number))
    table = client_dave.get(URL, {"per_page": 999999}).context["table"]
    assert len(table.rows) == 50


def test_event_detail_shows_the_request_ids(client_dave, alice, credential_a):
    event = audit.record(alice, "vault.secret.read", target=credential_a, vault_request_id="bao-req-123")
    response = client_dave.get(reverse("audit:event_detail", args=[event.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "bao-req-123" in body and str(event.request_id) in body and "A-0001" in body


def test_event_detail_is_for_auditors_only(client_alice, alice):
    event = audit.record(alice, "accounts.login")
    assert client_alice.get(reverse("audit:event_detail", args=[event.pk])).status_code == 404


def test_bad_outcome_filter_is_reported(client_dave):
    body = client_dave.get(URL, {"outcome": "bogus"}).content.decode()
    assert "Select a valid choice" in body


def test_event_detail_shows_json_not_python(client_dave, alice):
    event = audit.record(
        alice, "inventory.tenant.update", before={"name": "A", "active": True}, after={"name": "B"}
    )
    body = client_dave.get(reverse("audit:event_detail", args=[event.pk])).content.decode()
    assert "&quot;active&quot;: true" in body and "True" not in body


def test_a_utf8_user_agent_is_recorded_as_written(client_alice, device_a):
    """WSGI servers pass headers decoded as Latin-1; the trail must show the browser's own text."""
    as_wsgi_delivers = "Zoë-Browser/1.0 😀".encode().decode("latin-1")
    client_alice.get(f"/devices/{device_a.pk}/", HTTP_USER_AGENT=as_wsgi_delivers)
    event = AuditEvent.objects.filter(action="inventory.device.view").latest("sequence")
    assert event.user_agent == "Zoë-Browser/1.0 😀"
