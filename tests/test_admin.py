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


def test_entitlement_list_filters_by_status_action_and_grantee(client_carol, tenant_a, tenant_b):
    from django.utils import timezone

    from tests.factories import make_grant

    make_grant(tenant_a, "view", "reveal", group="team-a")
    make_grant(tenant_b, "view", group="team-b", expires_at=timezone.now() - timezone.timedelta(days=1))
    url = reverse("admin:entitlements_entitlement_changelist")
    active = client_carol.get(url, {"status": "active"}).context["cl"].result_list
    assert [grant.group.name for grant in active] == ["team-a"]
    expired = client_carol.get(url, {"status": "expired"}).context["cl"].result_list
    assert [grant.group.name for grant in expired] == ["team-b"]
    revealers = client_carol.get(url, {"grants": "reveal"}).context["cl"].result_list
    assert [grant.group.name for grant in revealers] == ["team-a"]
    assert list(client_carol.get(url, {"grantee": "user"}).context["cl"].result_list) == []


def test_bulk_revoke_expires_grants_now_and_audits_each(client_carol, tenant_a, alice, device_a):
    from portal import access
    from portal.entitlements.models import Entitlement

    grants = list(Entitlement.objects.all())
    response = client_carol.post(
        reverse("admin:entitlements_entitlement_changelist"),
        {"action": "revoke_selected", "_selected_action": [grant.pk for grant in grants]},
    )
    assert response.status_code == 302
    assert not access.can(alice, "view", device_a)
    assert AuditEvent.objects.filter(action="entitlements.grant.revoke", actor_name="carol").count() == len(
        grants
    )
    assert Entitlement.objects.count() == len(grants)  # revoked grants stay on record


def test_grant_form_refuses_a_device_of_another_tenant(client_carol, tenant_a, device_b):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="team-x")
    response = client_carol.post(
        reverse("admin:entitlements_entitlement_add"),
        {"group": group.pk, "tenant": tenant_a.pk, "device": device_b.pk, "can_view": "on", "note": ""},
    )
    assert response.status_code == 200
    assert "belongs to another tenant" in response.content.decode()


def test_admins_can_create_a_group_to_grant_to(client_carol):
    from django.contrib.auth.models import Group

    response = client_carol.post(reverse("admin:auth_group_add"), {"name": "team-new"})
    assert response.status_code == 302 and Group.objects.filter(name="team-new").exists()


def test_admin_cannot_grant_herself_reveal(client_carol, carol, tenant_a):
    response = client_carol.post(
        reverse("admin:entitlements_entitlement_add"),
        {"user": carol.pk, "tenant": tenant_a.pk, "can_view": "on", "can_reveal": "on", "note": ""},
    )
    assert response.status_code == 200
    assert "another admin must do it" in response.content.decode()
    from portal.entitlements.models import Entitlement

    assert not Entitlement.objects.filter(user=carol).exists()


def test_grant_without_grantee_gets_one_clear_message(client_carol, tenant_a):
    response = client_carol.post(
        reverse("admin:entitlements_entitlement_add"), {"tenant": tenant_a.pk, "can_view": "on", "note": ""}
    )
    body = response.content.decode()
    assert body.count("Grant to exactly one of a group or a user.") == 1
    assert "Constraint" not in body


def test_user_admin_sets_no_passwords_and_saves_with_an_audit(client_carol, alice):
    password_before = alice.password
    attempt = client_carol.post(
        f"/admin/accounts/user/{alice.pk}/password/",
        {"password1": "Takeover-123!x", "password2": "Takeover-123!x"},
        follow=True,
    )
    assert 'name="password1"' not in attempt.content.decode()
    alice.refresh_from_db()
    assert alice.password == password_before
    response = client_carol.post(reverse("admin:accounts_user_change", args=[alice.pk]), {"is_active": ""})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert not alice.is_active
    event = AuditEvent.objects.get(action="accounts.user.update")
    assert (event.before["is_active"], event.after["is_active"]) == (True, False)


def test_directory_accounts_never_sign_in_with_a_local_password(alice):
    from django.contrib.auth import authenticate

    alice.directory_dn = "uid=alice,ou=people,dc=example,dc=org"
    alice.set_password("set-by-an-admin")
    alice.save()
    assert authenticate(username="alice", password="set-by-an-admin") is None


def test_admin_delete_is_audited_with_what_was_deleted(client_carol, tenant_b):
    url = reverse("admin:inventory_tenant_delete", args=[tenant_b.pk])
    assert client_carol.post(url, {"post": "yes"}).status_code == 302
    event = AuditEvent.objects.get(action="inventory.tenant.delete")
    assert (event.target_id, event.before["name"], event.tenant_name) == (
        str(tenant_b.pk),
        "Tenant B",
        "Tenant B",
    )


def test_vault_locations_cannot_be_moved_after_creation(client_carol, tenant_a, credential_a):
    """Pointing a tenant or credential at another tenant's secrets would leak them to its engineers."""
    tenant_page = client_carol.get(
        reverse("admin:inventory_tenant_change", args=[tenant_a.pk])
    ).content.decode()
    assert 'name="vault_namespace"' not in tenant_page and 'name="path_prefix"' not in tenant_page
    credential_page = client_carol.get(reverse("admin:inventory_credential_change", args=[credential_a.pk]))
    assert 'name="vault_path"' not in credential_page.content.decode()
    device_page = client_carol.get(reverse("admin:inventory_device_change", args=[credential_a.device.pk]))
    assert 'name="tenant"' not in device_page.content.decode()


def test_new_tenants_cannot_overlap_another_tenants_prefix(client_carol, tenant_a):
    response = client_carol.post(
        reverse("admin:inventory_tenant_add"),
        {
            "name": "Sneaky",
            "slug": "sneaky",
            "vault_namespace": "",
            "kv_mount": "keydesk",
            "path_prefix": f"{tenant_a.path_prefix}/A-0001",
        },
    )
    assert response.status_code == 200 and "Overlaps tenant Tenant A" in response.content.decode()


def test_new_credentials_stay_under_their_tenants_prefix(client_carol, device_a, tenant_b):
    response = client_carol.post(
        reverse("admin:inventory_credential_add"),
        {
            "device": device_a.pk,
            "name": "stolen",
            "kind": "kv2",
            "vault_path": f"{tenant_b.path_prefix}/B-0001/x",
            "rotate_field": "password",
            "length": 24,
            "charset": "alnum",
        },
    )
    assert response.status_code == 200 and "Must lie under the tenant" in response.content.decode()


def test_groups_cannot_be_renamed_or_deleted(client_carol):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="team-x")
    client_carol.post(reverse("admin:auth_group_change", args=[group.pk]), {"name": "keydesk-engineers"})
    group.refresh_from_db()
    assert group.name == "team-x"
    assert (
        client_carol.post(reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"}).status_code
        == 403
    )


def test_grants_are_revoked_not_deleted_in_the_admin(client_carol, alice):
    from portal.entitlements.models import Entitlement

    grant = Entitlement.objects.first()
    response = client_carol.post(
        reverse("admin:entitlements_entitlement_delete", args=[grant.pk]), {"post": "yes"}
    )
    assert response.status_code == 403 and Entitlement.objects.filter(pk=grant.pk).exists()


def test_bulk_action_with_a_forged_selection_is_a_400_not_a_500(client_carol):
    response = client_carol.post(
        reverse("admin:entitlements_entitlement_changelist"),
        {"action": "revoke_selected", "_selected_action": ["abc"]},
    )
    assert response.status_code == 400


def test_the_admin_offers_no_password_change(client_carol):
    assert client_carol.get("/admin/password_change/").status_code == 404


def credential_form(device, **fields) -> dict:
    data = {
        "device": device.pk,
        "name": "db-account",
        "kind": "db_static",
        "vault_path": "",
        "engine_mount": "database",
        "engine_role": "device-db-demo",
        "rotate_field": "password",
        "length": 24,
        "charset": "alnum",
        "max_age_days": "",
        "password_policy": "",
    }
    return data | fields


@pytest.mark.parametrize("kind", ["db_static", "ldap_static"])
def test_a_credential_cannot_claim_another_tenants_static_role(client_carol, kind, device_b):
    """Hooli's credential on Initech's database account would let Hooli's engineers reveal and rotate it."""
    from tests.factories import make_credential, make_device, make_tenant

    initech = make_credential(
        device_b, "db-account", kind=kind, engine_mount="database", engine_role="device-db-demo"
    )
    hooli_device = make_device(make_tenant("Hooli", slug="hooli"), serial="HOOLI-1")
    response = client_carol.post(
        reverse("admin:inventory_credential_add"), credential_form(hooli_device, kind=kind)
    )
    assert response.status_code == 200
    assert f"already backs {initech}" in response.content.decode()
    assert not hooli_device.credentials.exists()


def test_pki_roles_can_be_shared_in_the_admin(client_carol, device_a, device_b):
    from tests.factories import make_credential

    make_credential(device_b, "tls", kind="pki", engine_mount="pki", engine_role="device")
    response = client_carol.post(
        reverse("admin:inventory_credential_add"),
        credential_form(device_a, name="tls", kind="pki", engine_mount="pki", engine_role="device"),
    )
    assert response.status_code == 302 and device_a.credentials.filter(name="tls").exists()


def test_a_static_roles_engine_and_role_are_fixed_after_creation(client_carol, device_a, device_b):
    from tests.factories import make_credential

    make_credential(
        device_b, "db-account", kind="db_static", engine_mount="database", engine_role="device-db-demo"
    )
    own = make_credential(
        device_a, "db-account", kind="db_static", engine_mount="database", engine_role="device-db-a"
    )
    url = reverse("admin:inventory_credential_change", args=[own.pk])
    page = client_carol.get(url).content.decode()
    assert 'name="engine_mount"' not in page and 'name="engine_role"' not in page
    client_carol.post(url, credential_form(device_a, engine_role="device-db-demo"))
    own.refresh_from_db()
    assert (own.engine_mount, own.engine_role) == ("database", "device-db-a")


def test_saving_a_grant_with_its_grantee_removed_is_a_form_error_not_a_500(client_carol, bob, tenant_a):
    from portal.entitlements.models import Entitlement

    grant = Entitlement.objects.get(user=bob)
    response = client_carol.post(
        reverse("admin:entitlements_entitlement_change", args=[grant.pk]),
        {"group": "", "user": "", "tenant": tenant_a.pk, "can_view": "on", "note": ""},
    )
    assert response.status_code == 200
    assert response.content.decode().count("Grant to exactly one of a group or a user.") == 1
    grant.refresh_from_db()
    assert grant.user == bob


def test_a_grant_without_grantee_has_a_label():
    from portal.entitlements.models import Entitlement

    assert Entitlement().grantee_label == "no grantee"


def post_device_with_one_inline_credential(client, device, name: str, kind: str):  # noqa: ANN201
    """The device's change form, unchanged, with one new credential in the inline."""
    return client.post(
        reverse("admin:inventory_device_change", args=[device.pk]),
        {
            "serial": device.serial,
            "name": device.name,
            "model_name": "",
            "site": device.site,
            "status": "active",
            "credentials-TOTAL_FORMS": "1",
            "credentials-INITIAL_FORMS": "0",
            "credentials-MIN_NUM_FORMS": "0",
            "credentials-MAX_NUM_FORMS": "1000",
            "credentials-0-name": name,
            "credentials-0-kind": kind,
            "credentials-0-rotate_field": "password",
            "credentials-0-length": "24",
            "credentials-0-charset": "alnum",
            "credentials-0-max_age_days": "",
        },
    )


def test_an_inline_credential_whose_default_path_is_taken_is_a_form_error_not_a_500(client_carol, device_a):
    from tests.factories import make_credential, make_device

    other = make_device(device_a.tenant, serial="A-0002")
    make_credential(other, "spare", vault_path=f"{device_a.tenant.path_prefix}/{device_a.serial}/spare")
    response = post_device_with_one_inline_credential(client_carol, device_a, "spare", "kv2")
    assert response.status_code == 200
    assert "Another credential already uses" in response.content.decode()
    assert not device_a.credentials.exists()


def test_an_inline_static_role_without_its_engine_is_a_form_error_not_a_500(client_carol, device_a):
    response = post_device_with_one_inline_credential(client_carol, device_a, "db-account", "db_static")
    assert response.status_code == 200
    assert "Name the secrets engine" in response.content.decode()
    assert not device_a.credentials.exists()


@pytest.mark.parametrize(
    "changelist, lookup",
    [
        ("admin:accounts_user_changelist", "password__startswith"),
        ("admin:accounts_user_changelist", "groups__user__password__startswith"),
        ("admin:entitlements_entitlement_changelist", "user__password__startswith"),
        ("admin:entitlements_entitlement_changelist", "group__user__password__startswith"),
        ("admin:auth_group_changelist", "user__password__startswith"),
        ("admin:audit_auditevent_changelist", "actor__password__startswith"),
    ],
)
def test_no_admin_list_filters_on_password_hashes(client_carol, client_dave, alice, changelist, lookup):
    client = client_dave if changelist.startswith("admin:audit") else client_carol
    response = client.get(reverse(changelist), {lookup: "pbkdf2_sha256$"})
    assert response.status_code == 400


def test_a_credentials_kind_is_fixed_once_it_exists(client_carol, credential_a):
    """A KV credential turned into a static-role one would point its engineers at an account."""
    from django.core.exceptions import ValidationError

    url = reverse("admin:inventory_credential_change", args=[credential_a.pk])
    assert 'name="kind"' not in client_carol.get(url).content.decode()
    client_carol.post(url, credential_form(credential_a.device, name=credential_a.name))
    credential_a.refresh_from_db()
    assert (credential_a.kind, credential_a.engine_mount) == ("kv2", "")
    credential_a.kind, credential_a.engine_mount, credential_a.engine_role = "db_static", "database", "x"
    with pytest.raises(ValidationError, match="Fixed once the credential exists"):
        credential_a.full_clean()


def test_a_kv_credential_names_no_engine(client_carol, device_a):
    response = client_carol.post(
        reverse("admin:inventory_credential_add"),
        credential_form(device_a, name="kv-with-engine", kind="kv2"),
    )
    assert response.status_code == 200 and "names no secrets engine" in response.content.decode()


def test_a_mount_reaching_into_another_tenants_namespace_is_refused(client_carol, device_a):
    """The root namespace's mount `acme/database` is namespace acme's `database`, whatever the role."""
    from tests.factories import make_tenant

    make_tenant("Acme", vault_namespace="acme", kv_mount="keydesk", path_prefix="devices")
    response = client_carol.post(
        reverse("admin:inventory_credential_add"),
        credential_form(device_a, name="sneaky", engine_mount="acme/database", engine_role="unused-role"),
    )
    assert response.status_code == 200 and "lies in namespace &#x27;acme&#x27;" in response.content.decode()
    response = client_carol.post(
        reverse("admin:inventory_tenant_add"),
        {
            "name": "Inside",
            "slug": "inside",
            "vault_namespace": "",
            "kv_mount": "acme/keydesk",
            "path_prefix": "x",
        },
    )
    assert response.status_code == 200 and "lies in namespace &#x27;acme&#x27;" in response.content.decode()


def test_a_mount_that_names_another_tenants_namespace_is_an_overlap(client_carol):
    """OpenBao reads a namespace from the front of a path: the root namespace's mount
    `acme/keydesk` is namespace acme's mount `keydesk`."""
    from tests.factories import make_tenant

    make_tenant("Acme", vault_namespace="acme", kv_mount="keydesk", path_prefix="devices")
    response = client_carol.post(
        reverse("admin:inventory_tenant_add"),
        {
            "name": "Alias",
            "slug": "alias",
            "vault_namespace": "",
            "kv_mount": "acme/keydesk",
            "path_prefix": "devices",
        },
    )
    assert response.status_code == 200 and "lies in namespace &#x27;acme&#x27;" in response.content.decode()
    response = client_carol.post(
        reverse("admin:inventory_tenant_add"),
        {
            "name": "Beside",
            "slug": "beside",
            "vault_namespace": "globex",
            "kv_mount": "keydesk",
            "path_prefix": "devices",
        },
    )
    assert response.status_code == 302  # the same mount and prefix in another namespace is elsewhere


def test_what_vault_last_said_is_not_editable(client_carol, credential_a):
    page = client_carol.get(
        reverse("admin:inventory_credential_change", args=[credential_a.pk])
    ).content.decode()
    assert 'name="vault_version"' not in page and 'name="last_changed_at' not in page
