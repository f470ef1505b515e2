"""THE rule: what may this user see or do. Every queryset, object check and view asks it here.

scope(user, action, model) -> Q is the only function with logic; can() and may() are derived from
it, so a list and a detail page can never disagree. Models are imported lazily because this module
is imported while Django's app registry is still loading.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, Model, Q
from django.utils import timezone

# Actions on devices and their credentials, granted by entitlements.
DEVICE_ACTIONS = ("view", "reveal", "rotate", "update")
# Actions that come from a role (an LDAP group named in settings), not from entitlements.
ROLE_ACTIONS = ("manage", "audit")
ACTIONS = frozenset(DEVICE_ACTIONS + ROLE_ACTIONS)

NOTHING = Q(pk__in=[])

# How to get from each inventory model to its tenant and its device.
_TENANT_FIELD = {"inventory.device": "tenant_id", "inventory.credential": "device__tenant_id"}
_DEVICE_FIELD = {"inventory.device": "pk", "inventory.credential": "device_id"}
_SITE_FIELD = {"inventory.device": "site", "inventory.credential": "device__site"}


def _check_action(action: str) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; known actions: {sorted(ACTIONS)}")


def has_role(user: Any, group_name: str) -> Q:
    """A Q that is true for every row when the user is in the named group, false otherwise."""
    from portal.accounts.models import User

    membership = User.groups.through.objects.filter(user_id=user.pk, group__name=group_name)
    return Q(Exists(membership))


def active_grants(user: Any, action: str, at: Any = None):
    """The entitlements in force now that give `user` (directly or through a group) `action`."""
    from portal.entitlements.models import Entitlement

    if action == "view":
        # Any device right implies seeing the device.
        flag = Q(can_view=True) | Q(can_reveal=True) | Q(can_rotate=True) | Q(can_update=True)
    else:
        flag = Q(**{f"can_{action}": True})
    from portal.accounts.models import User

    # The user's groups as an uncorrelated subquery rather than a join: an OR across a join would
    # turn into an outer join that the planner cannot drive from the indexes.
    their_groups = User.groups.through.objects.filter(user_id=user.pk).values("group_id")
    return Entitlement.objects.active(at or timezone.now()).filter(
        Q(user_id=user.pk) | Q(group_id__in=their_groups), flag
    )


GRANT_FIELDS = (
    "tenant_id",
    "device_id",
    "site",
    "tag_id",
    "can_view",
    "can_reveal",
    "can_rotate",
    "can_update",
)


def grant_rows(user: Any) -> list[dict[str, Any]]:
    """The user's grants in force now, as plain rows: the rule is then built from their ids, which is
    cheap to compile and to run whatever the number of devices and grants. Read once per user object
    (that is, once per request), like group_names()."""
    return _once_per_user(
        user, "_keydesk_grant_rows", lambda: list(active_grants(user, "view").values(*GRANT_FIELDS))
    )


def _gives(row: dict[str, Any], action: str) -> bool:
    if action == "view":
        return row["can_view"] or row["can_reveal"] or row["can_rotate"] or row["can_update"]
    return row[f"can_{action}"]


def _granted_devices(rows: list[dict[str, Any]], action: str, label: str) -> Q:
    """Devices (or their credentials) reached by these grant rows for `action`: whole tenants, single
    devices, (tenant, site) pairs and (tenant, tag) pairs, all as literal ids."""
    from portal.inventory.models import Device

    tenant_field, device_field, site_field = _TENANT_FIELD[label], _DEVICE_FIELD[label], _SITE_FIELD[label]
    rows = [row for row in rows if _gives(row, action)]
    whole = {row["tenant_id"] for row in rows if not (row["device_id"] or row["site"] or row["tag_id"])}
    devices = {row["device_id"] for row in rows if row["device_id"]}
    sites = {(row["tenant_id"], row["site"]) for row in rows if row["site"]}
    tags = {(row["tenant_id"], row["tag_id"]) for row in rows if row["tag_id"]}
    result = NOTHING
    if whole:
        result |= Q(**{f"{tenant_field}__in": sorted(whole)})
    if devices:
        result |= Q(**{f"{device_field}__in": sorted(devices)})
    for tenant_id, site in sorted(sites):
        result |= Q(**{tenant_field: tenant_id, site_field: site})
    if tags:
        tagged = Q(pk__in=[])
        for tenant_id, tag_id in sorted(tags):
            tagged |= Q(tag_id=tag_id, device__tenant_id=tenant_id)
        result |= Q(**{f"{device_field}__in": Device.tags.through.objects.filter(tagged).values("device_id")})
    return result


@dataclass(frozen=True)
class Grounds:
    """What can give a user `action` on a kind of object: roles (group names) and/or grants."""

    roles: tuple[str, ...] = ()
    grant_action: str | None = None


def grounds(action: str, model: type[Model]) -> Grounds:
    """The rule table. Admins see every device's metadata but reveal, rotate and update only where
    entitled like anyone else; auditors read the trail. An unknown model raises: no default-allow."""
    _check_action(action)
    label = model._meta.label_lower
    admin, auditor = settings.KEYDESK_ADMIN_GROUP, settings.KEYDESK_AUDITOR_GROUP
    if label in _TENANT_FIELD or label == "inventory.tenant":
        if action == "manage":
            return Grounds(roles=(admin,))
        if action == "audit":
            return Grounds()
        return Grounds(roles=(admin,) if action == "view" else (), grant_action=action)
    if label == "audit.auditevent":
        return Grounds(roles=(auditor,) if action in ("view", "audit") else ())
    if label in (
        "entitlements.entitlement",
        "inventory.tag",
        "accounts.user",
        "auth.group",
        "accounts.loginlockout",
    ):
        return Grounds(roles=(admin,) if action in ("view", "manage") else ())
    raise ValueError(f"no access policy for model {label}")


@dataclass(frozen=True)
class SystemActor:
    """Keydesk itself acting without a person (a scheduler's `manage.py rotate_due`). It may do
    exactly the actions it is created with, on everything, and is named in every audit event."""

    name: str
    actions: frozenset[str]
    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = False
    pk: None = None

    def get_username(self) -> str:
        return f"system:{self.name}"

    def __str__(self) -> str:
        return self.get_username()


def _is_active_user(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def scope(user: Any, action: str, model: type[Model]) -> Q:
    """The rows of `model` on which `user` may perform `action`, as a Q to filter with.

    Anonymous and inactive users get nothing; superusers (local break-glass accounts) everything;
    everyone else the OR of their roles and active grants for the action (see grounds()).
    """
    rule = grounds(action, model)
    if isinstance(user, SystemActor):
        return Q() if action in user.actions and rule.grant_action else NOTHING
    if not _is_active_user(user):
        return NOTHING
    if user.is_superuser:
        return Q()
    result = NOTHING
    for role in rule.roles:
        result |= has_role(user, role)
    if rule.grant_action:
        label = model._meta.label_lower
        rows = grant_rows(user)
        if label == "inventory.tenant":
            granted = Q(pk__in=sorted({row["tenant_id"] for row in rows if _gives(row, rule.grant_action)}))
        else:
            granted = _granted_devices(rows, rule.grant_action, label)
        # Grants work only for support engineers: leaving the engineer group ends them all.
        result |= granted & has_role(user, settings.KEYDESK_ENGINEER_GROUP)
    return result


def restrict(user: Any, action: str, model: type[Model]):
    """The model's rows within the user's scope for `action`."""
    return model._default_manager.filter(scope(user, action, model))


def can(user: Any, action: str, obj: Model) -> bool:
    """May `user` do `action` to this object? Derived from scope(), never re-implemented."""
    return restrict(user, action, type(obj)).filter(pk=obj.pk).exists()


_CACHES = ("_keydesk_group_names", "_keydesk_grant_rows", "_keydesk_justification")


def _once_per_user(user: Any, key: str, compute: Any) -> Any:
    """What the rule reads about a user, kept on the user object: request.user lives for one request."""
    if key not in user.__dict__:
        user.__dict__[key] = compute()
    return user.__dict__[key]


def group_names(user: Any) -> frozenset[str]:
    """The user's group names, read once per user object (that is, once per request)."""
    return _once_per_user(
        user, "_keydesk_group_names", lambda: frozenset(user.groups.values_list("name", flat=True))
    )


def forget_cached_access(user: Any) -> None:
    """After the directory changed the user's groups within this request."""
    for key in _CACHES:
        user.__dict__.pop(key, None)


def may(user: Any, action: str, model: type[Model]) -> bool:
    """Does `user` hold `action` on this kind of object at all (list pages, nav items, Add buttons)?

    Reads the same grounds() as scope(): a role the user is in, or an active grant for the action,
    whether or not any object exists yet.
    """
    rule = grounds(action, model)
    if isinstance(user, SystemActor):
        return action in user.actions and bool(rule.grant_action)
    if not _is_active_user(user):
        return False
    if user.is_superuser:
        return True
    groups = group_names(user)
    if groups.intersection(rule.roles):
        return True
    if not rule.grant_action or settings.KEYDESK_ENGINEER_GROUP not in groups:
        return False
    return any(_gives(row, rule.grant_action) for row in grant_rows(user))


def permitted_actions(user: Any, obj: Model, actions: tuple[str, ...] = DEVICE_ACTIONS) -> frozenset[str]:
    """The subset of `actions` the user may take on `obj`, for views to hand to templates.

    One query for all the actions (a filtered count per action over the one row), from the same
    scope() as can(); the device page used to spend half its time on four separate checks.
    """
    model = type(obj)
    decided: dict[str, bool] = {}
    counts: dict[str, Count] = {}
    for action in actions:
        condition = scope(user, action, model)
        if condition == NOTHING or condition == Q():
            decided[action] = condition == Q()
        else:
            counts[f"may_{action}"] = Count("pk", filter=condition)
    if counts:
        row = model._default_manager.filter(pk=obj.pk).aggregate(**counts)
        decided.update({name.removeprefix("may_"): bool(value) for name, value in row.items()})
    return frozenset(action for action in actions if decided.get(action))


def covering_grants(user: Any, action: str, device: Model):  # noqa: ANN201 - EntitlementQuerySet
    """The user's active grants that give `action` on this device, to show "you have access through
    …, until …" and to decide whether a justification is needed. Display and prompting only: whether
    access is allowed is always decided by scope(); tests hold the two to the same answer."""
    covering = Q(device_id=device.pk) | Q(
        tenant_id=device.tenant_id, device__isnull=True, site="", tag__isnull=True
    )
    if device.site:
        covering |= Q(tenant_id=device.tenant_id, site=device.site)
    covering |= Q(tenant_id=device.tenant_id, tag__in=device.tags.all())
    return (
        active_grants(user, action)
        .filter(covering)
        .select_related("group", "user", "device", "tag")
        .distinct()
    )


def justification_required(user: Any, action: str, device: Model) -> bool:
    """A ticket and a reason are needed when the tenant demands them, or when every grant through
    which the user holds `action` on this device demands them."""
    if device.tenant.requires_justification:
        return True
    if isinstance(user, SystemActor):
        return False
    # Asked by the view (to prompt) and again by the service (to enforce): once per request.
    decided = _once_per_user(user, "_keydesk_justification", dict)
    key = (action, device.pk)
    if key not in decided:
        # One query: the flags of the covering grants (few), decided here.
        demands = list(covering_grants(user, action, device).values_list("requires_justification", flat=True))
        decided[key] = bool(demands) and all(demands)
    return decided[key]


def may_grant(user: Any, entitlement: Model) -> bool:
    """Four eyes: an admin may manage grants, but not ones that give themselves (directly or
    through one of their groups) anything; another admin must do that."""
    if not may(user, "manage", type(entitlement)):
        return False
    if user.is_superuser:
        return True
    if entitlement.user_id == user.pk:
        return False
    return not (entitlement.group_id and entitlement.group.name in group_names(user))
