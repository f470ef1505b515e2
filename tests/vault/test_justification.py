"""Grants or tenants that demand a ticket and a reason get them, and the trail keeps them."""

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.vault import services
from tests.conftest import HTMX, signed_in
from tests.factories import make_engineer, make_grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def careful(tenant_a):
    user = make_engineer("gina")
    make_grant(tenant_a, "view", "reveal", "rotate", user=user, requires_justification=True)
    return signed_in(user)


def reveal(client, credential, **data):
    return client.post(reverse("vault:credential_reveal", args=[credential.pk]), data, **HTMX)


def test_reveal_without_justification_asks_for_it_and_shows_nothing(careful, credential_a, fake_vault):
    response = reveal(careful, credential_a)
    assert response.status_code == 400
    body = response.content.decode()
    assert "requires a ticket and a reason" in body and "initial-secret-A1" not in body
    assert fake_vault.calls == []


def test_bad_ticket_and_short_reason_are_explained(careful, credential_a):
    body = reveal(careful, credential_a, ticket="<script>", reason="why").content.decode()
    assert "Use the ticket id" in body and "at least 10 characters" in body
    assert "<script>" not in body


def test_justified_reveal_records_ticket_and_reason(careful, credential_a):
    response = reveal(
        careful, credential_a, ticket="INC0012345", reason="Device offline after firmware update"
    )
    assert response.status_code == 200 and "initial-secret-A1" in response.content.decode()
    event = AuditEvent.objects.get(action="vault.secret.read")
    assert (event.ticket, event.justification) == ("INC0012345", "Device offline after firmware update")


def test_tenant_flag_demands_justification_even_on_plain_grants(client_alice, credential_a, tenant_a):
    tenant_a.requires_justification = True
    tenant_a.save()
    assert reveal(client_alice, credential_a).status_code == 400
    rotate = client_alice.post(reverse("vault:credential_rotate", args=[credential_a.pk]), **HTMX)
    assert rotate.status_code == 400 and "Why do you need to rotate" in rotate.content.decode()


def test_a_plain_grant_alongside_a_strict_one_needs_no_justification(credential_a, tenant_a):
    user = make_engineer("hal")
    make_grant(tenant_a, "view", "reveal", user=user, requires_justification=True)
    make_grant(tenant_a, "view", "reveal", user=user, device=credential_a.device)
    assert reveal(signed_in(user), credential_a).status_code == 200


def test_service_refuses_without_justification_too(tenant_a, credential_a):
    user = make_engineer("ivy")
    make_grant(tenant_a, "view", "reveal", user=user, requires_justification=True)
    with pytest.raises(services.JustificationMissing):
        services.reveal_secret(user, credential_a)
