"""The permission matrix: scope kind × action × validity, for the device in scope and a neighbour
outside it. scope() decides; covering_grants() (what the device page shows) must agree with it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal import access
from portal.access.policy import DEVICE_ACTIONS
from portal.inventory.models import Credential, Device, Tag
from tests.factories import make_credential, make_device, make_engineer, make_grant, make_tenant

pytestmark = pytest.mark.django_db

SCOPES = ["tenant", "device", "site", "tag"]
VALIDITY = {
    "active": {},
    "expired": {"expires_at": -1},
    "not yet valid": {"starts_at": +1},
    "window open": {"starts_at": -1, "expires_at": +1},
}


@pytest.fixture
def world():
    tenant, other_tenant = make_tenant("Matrix", slug="matrix"), make_tenant("Other", slug="other")
    icu = Tag.objects.create(name="icu")
    target = make_device(tenant, serial="M-TARGET", site="Zurich")
    target.tags.add(icu)
    neighbour = make_device(tenant, serial="M-NEIGHBOUR", site="Basel")
    foreign = make_device(other_tenant, serial="O-FOREIGN", site="Zurich")
    foreign.tags.add(icu)
    return {"tenant": tenant, "target": target, "neighbour": neighbour, "foreign": foreign, "icu": icu}


def grant(world, scope: str, action: str, validity: str):
    user = make_engineer(f"u-{scope}-{action}-{validity.replace(' ', '-')}")
    now = timezone.now()
    when = {key: now + timedelta(hours=hours) for key, hours in VALIDITY[validity].items()}
    narrowing = {
        "tenant": {},
        "device": {"device": world["target"]},
        "site": {"site": "Zurich"},
        "tag": {"tag": world["icu"]},
    }[scope]
    make_grant(world["tenant"], action, user=user, **narrowing, **when)
    return user


@pytest.mark.parametrize("validity", VALIDITY)
@pytest.mark.parametrize("action", DEVICE_ACTIONS)
@pytest.mark.parametrize("scope", SCOPES)
def test_matrix(world, scope, action, validity):
    user = grant(world, scope, action, validity)
    in_force = validity in ("active", "window open")
    credential = make_credential(world["target"])
    for each in DEVICE_ACTIONS:
        # The granted action, and "view" (implied by any device right), hold exactly while in force.
        expected = in_force and each in {action, "view"}
        assert access.can(user, each, world["target"]) is expected, (each, "target")
        assert access.can(user, each, credential) is expected, (each, "credential")
        assert access.covering_grants(user, each, world["target"]).exists() is expected, (each, "shown")
    # A tenant-wide grant covers the neighbour; narrower scopes do not. Nothing reaches another tenant.
    assert access.can(user, action, world["neighbour"]) is (in_force and scope == "tenant")
    assert not access.can(user, action, world["foreign"])


def test_roles_matrix(world, carol, dave, admin, alice):
    target = world["target"]
    assert [access.can(carol, a, target) for a in DEVICE_ACTIONS] == [True, False, False, False]
    assert [access.can(dave, a, target) for a in DEVICE_ACTIONS] == [False, False, False, False]
    assert [access.can(alice, a, target) for a in DEVICE_ACTIONS] == [False, False, False, False]
    assert [access.can(admin, a, target) for a in DEVICE_ACTIONS] == [True, True, True, True]


@pytest.mark.parametrize("count", [10, 1000])
def test_device_list_query_count_is_fixed(client_alice, tenant_a, django_assert_max_num_queries, count):
    icu, _ = Tag.objects.get_or_create(name="icu")
    devices = Device.objects.bulk_create(
        Device(tenant=tenant_a, serial=f"Q-{number:05d}", name="Analyser", site=f"site-{number % 7}")
        for number in range(count)
    )
    Device.tags.through.objects.bulk_create(Device.tags.through(device=d, tag=icu) for d in devices[::2])
    Credential.objects.bulk_create(
        Credential(device=d, name="svc", vault_path=f"x/{d.serial}") for d in devices
    )
    for number in range(20):
        make_grant(tenant_a, "view", group="team-a", site=f"site-{number % 7}")
    with django_assert_max_num_queries(12):
        response = client_alice.get("/devices/", {"sort": "-site"})
    assert response.status_code == 200
    assert len(response.context["table"].page.object_list) == min(count, 25)


@pytest.mark.parametrize("who", ["alice", "bob", "charlie", "carol", "dave", "admin"])
def test_permitted_actions_agree_with_can_in_two_queries(request, world, who, django_assert_max_num_queries):
    user = request.getfixturevalue(who)
    make_grant(world["tenant"], "view", "update", user=user) if who == "bob" else None
    target = world["target"]
    expected = frozenset(action for action in DEVICE_ACTIONS if access.can(user, action, target))
    access.policy.forget_cached_access(user)
    with django_assert_max_num_queries(2):  # the user's grants, then one filtered count per action
        assert access.permitted_actions(user, target) == expected
