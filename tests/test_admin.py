"""The Django admin answers to the policy: the admin group manages, changes are audited."""

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.inventory.models import Tenant

pytestmark = pytest.mark.django_db


def test_admin_group_can_add_a_tenant_and_it_is_audited(client_carol):
    response = client_carol.post(
        reverse("admin:inventory_tenant_add"),
        {
            "name": "Umbrella Labs",
            "slug": "umbrella",
            "vault_namespace": "",
            "kv_mount": "keydesk",
            "path_prefix": "umbrella",
        },
    )
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="umbrella")
    event = AuditEvent.objects.get(action="inventory.tenant.create")
    assert (event.actor_name, event.target_id, event.after["name"]) == (
        "carol",
        str(tenant.pk),
        "Umbrella Labs",
    )


def test_admin_edit_records_before_and_after(client_carol, tenant_a):
    url = reverse("admin:inventory_tenant_change", args=[tenant_a.pk])
    data = {
        "name": "Tenant A renamed",
        "slug": tenant_a.slug,
        "vault_namespace": "",
        "kv_mount": "keydesk",
        "path_prefix": tenant_a.path_prefix,
    }
    assert client_carol.post(url, data).status_code == 302
    event = AuditEvent.objects.get(action="inventory.tenant.update")
    assert (event.before["name"], event.after["name"]) == ("Tenant A", "Tenant A renamed")


def test_bad_vault_path_is_a_form_error_not_a_500(client_carol):
    response = client_carol.post(
        reverse("admin:inventory_tenant_add"),
        {"name": "Bad", "slug": "bad", "kv_mount": "keydesk", "path_prefix": "../etc"},
    )
    assert response.status_code == 200
    assert "path segments" in response.content.decode()
    assert not Tenant.objects.filter(slug="bad").exists()


@pytest.mark.parametrize("who", ["client_alice", "client_dave"])
def test_engineers_and_auditors_do_not_manage(request, who):
    response = request.getfixturevalue(who).get(reverse("admin:inventory_tenant_changelist"))
    assert response.status_code in (302, 403)


def test_audit_events_are_read_only_in_the_admin(client_dave, alice):
    from portal.audit import services as audit

    event = audit.record(alice, "accounts.login")
    assert client_dave.get(reverse("admin:audit_auditevent_change", args=[event.pk])).status_code == 200
    assert (
        client_dave.post(
            reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
