"""Truth table of the one rule, portal.access.policy.scope(), with no HTTP."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from portal import access
from portal.audit.models import AuditEvent
from portal.inventory.models import Credential, Device, Tag, Tenant
from tests.factories import make_credential, make_device, make_engineer, make_grant, make_user

pytestmark = pytest.mark.django_db


def visible(user, action: str, model=Device) -> set[str]:
    rows = model.objects.restrict(user, action)
    return {str(row.serial if model is Device else row) for row in rows}


def test_anonymous_sees_nothing(device_a):
    assert visible(AnonymousUser(), "view") == set()


def test_inactive_user_sees_nothing_even_with_a_grant(tenant_a, device_a):
    user = make_engineer("gone", is_active=False)
    make_grant(tenant_a, "view", "reveal", user=user)
    assert visible(user, "view") == set()


def test_unknown_action_raises_instead_of_allowing(alice):
    with pytest.raises(ValueError, match="unknown action"):
        access.scope(alice, "destroy", Device)


def test_unknown_model_raises_instead_of_allowing(alice):
    from django.contrib.sessions.models import Session

    with pytest.raises(ValueError, match="no access policy"):
        access.scope(alice, "view", Session)


@pytest.mark.parametrize(
    ("who", "action", "sees_a", "sees_b"),
    [
        ("alice", "view", True, False),
        ("alice", "reveal", True, False),
        ("alice", "rotate", True, False),
        ("alice", "update", False, False),
        ("bob", "view", True, False),
        ("bob", "reveal", False, False),
        ("bob", "rotate", False, False),
        ("charlie", "view", False, True),
        ("charlie", "reveal", False, True),
        ("carol", "view", True, True),
        ("carol", "reveal", False, False),
        ("carol", "rotate", False, False),
        ("dave", "view", False, False),
        ("admin", "reveal", True, True),
    ],
)
def test_tenant_grants_matrix(request, device_a, device_b, who, action, sees_a, sees_b):
    user = request.getfixturevalue(who)
    assert visible(user, action) == {s for s, seen in (("A-0001", sees_a), ("B-0001", sees_b)) if seen}


def test_credentials_follow_their_device(alice, credential_a, credential_b):
    assert list(Credential.objects.restrict(alice, "reveal")) == [credential_a]
    assert access.can(alice, "reveal", credential_a)
    assert not access.can(alice, "reveal", credential_b)


def test_device_grant_covers_that_device_only(tenant_a, device_a):
    other = make_device(tenant_a, serial="A-0002")
    user = make_engineer("visitor")
    make_grant(tenant_a, "view", "reveal", user=user, device=device_a)
    assert visible(user, "reveal") == {"A-0001"}
    assert access.can(user, "view", device_a) and not access.can(user, "view", other)


def test_site_grant_covers_devices_at_that_site(tenant_a, tenant_b, device_a):
    make_device(tenant_a, serial="A-0002", site="Zurich")
    make_device(tenant_b, serial="B-0009", site="Basel")  # same site name, other tenant
    user = make_engineer("field")
    make_grant(tenant_a, "view", user=user, site="Basel")
    assert visible(user, "view") == {"A-0001"}


def test_tag_grant_covers_tagged_devices_of_the_tenant(tenant_a, tenant_b):
    make_device(tenant_a, serial="A-0010", tags=["icu"])
    make_device(tenant_a, serial="A-0011")
    make_device(tenant_b, serial="B-0010", tags=["icu"])
    user = make_engineer("icu-tech")
    make_grant(tenant_a, "view", "reveal", user=user, tag=Tag.objects.get(name="icu"))
    assert visible(user, "reveal") == {"A-0010"}


def test_expired_grant_gives_nothing(tenant_a, device_a):
    user = make_engineer("late")
    make_grant(tenant_a, "view", user=user, expires_at=timezone.now() - timedelta(seconds=1))
    assert visible(user, "view") == set()


def test_grant_not_yet_valid_gives_nothing(tenant_a, device_a):
    user = make_engineer("early")
    make_grant(tenant_a, "view", user=user, starts_at=timezone.now() + timedelta(hours=1))
    assert visible(user, "view") == set()


def test_tenant_list_follows_grants(alice, tenant_a, tenant_b):
    assert list(Tenant.objects.restrict(alice, "view")) == [tenant_a]


def test_only_auditors_see_the_audit_trail(alice, carol, dave):
    assert access.may(dave, "audit", AuditEvent)
    assert not access.may(alice, "audit", AuditEvent)
    assert not access.may(carol, "audit", AuditEvent)


def test_only_admins_manage(alice, carol):
    assert access.may(carol, "manage", Device)
    assert not access.may(alice, "manage", Device)


def test_restricting_is_two_queries_whatever_the_grants(django_assert_num_queries, alice, tenant_a):
    for number in range(20):
        make_device(tenant_a, serial=f"A-1{number:03d}", site=f"site-{number % 3}")
        make_grant(tenant_a, "view", group="team-a", site=f"site-{number % 3}")
    with django_assert_num_queries(2):  # the user's grants, then the rows
        assert len(list(Device.objects.restrict(alice, "view"))) == 20


def test_credential_factory_is_in_scope_of_its_tenant(alice, device_a):
    credential = make_credential(device_a, "registry-token")
    assert access.permitted_actions(alice, credential) == {"view", "reveal", "rotate"}


def test_grants_work_only_for_members_of_the_engineer_group(tenant_a, device_a):
    user = make_user("contractor", "team-a")
    make_grant(tenant_a, "view", "reveal", group="team-a")
    assert visible(user, "view") == set()
    assert not access.may(user, "view", Device)


def test_admins_cannot_grant_themselves(carol, tenant_a):
    from portal.entitlements.models import Entitlement

    to_herself = Entitlement(tenant=tenant_a, user=carol, can_reveal=True)
    to_her_group = Entitlement(tenant=tenant_a, group=carol.groups.get(), can_reveal=True)
    to_someone_else = Entitlement(tenant=tenant_a, user=make_user("zed"), can_reveal=True)
    assert not access.may_grant(carol, to_herself)
    assert not access.may_grant(carol, to_her_group)
    assert access.may_grant(carol, to_someone_else)
