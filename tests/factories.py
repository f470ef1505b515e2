"""Plain functions that build the rows tests need."""

import itertools
from typing import Any

from django.contrib.auth.models import Group

from portal.accounts.models import User
from portal.entitlements.models import Entitlement
from portal.inventory.models import Credential, Device, Tag, Tenant

_sequence = itertools.count(1)


def make_tenant(name: str | None = None, **fields: Any) -> Tenant:
    number = next(_sequence)
    name = name or f"Tenant {number}"
    slug = fields.pop("slug", f"tenant-{number}")
    fields.setdefault("path_prefix", slug)
    return Tenant.objects.create(name=name, slug=slug, **fields)


def make_device(tenant: Tenant, serial: str | None = None, tags: list[str] = (), **fields: Any) -> Device:
    serial = serial or f"DEV-{next(_sequence):05d}"
    fields.setdefault("name", f"Analyser {serial}")
    device = Device.objects.create(tenant=tenant, serial=serial, **fields)
    if tags:
        device.tags.set([Tag.objects.get_or_create(name=tag)[0] for tag in tags])
    return device


def make_credential(device: Device, name: str = "service-account", **fields: Any) -> Credential:
    return Credential.objects.create(device=device, name=name, **fields)


def make_user(username: str, *groups: str, **fields: Any) -> User:
    user = User.objects.create(username=username, **fields)
    for group in groups:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def make_grant(
    tenant: Tenant, *actions: str, group: str | None = None, user: User | None = None, **fields: Any
) -> Entitlement:
    flags = {f"can_{action}": True for action in actions}
    flags.setdefault("can_view", "view" in actions)
    return Entitlement.objects.create(
        tenant=tenant,
        group=Group.objects.get_or_create(name=group)[0] if group else None,
        user=user,
        **flags,
        **fields,
    )


def make_engineer(username: str, *groups: str, **fields: Any) -> User:
    """A member of the support-engineer group (grants only work for engineers), plus `groups`."""
    from django.conf import settings

    return make_user(username, settings.KEYDESK_ENGINEER_GROUP, *groups, **fields)
