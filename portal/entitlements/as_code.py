"""Entitlements as code: a YAML file reviewed in version control, planned and applied like Terraform.

    version: 1
    entitlements:
      - group: team-acme            # or  user: alice
        tenant: acme                # tenant slug
        device: ACME-0001           # optional: one device (serial) ...
        site: Zurich ICU            # ... or a site ...
        tag: icu                    # ... or a tag (at most one of the three)
        actions: [view, reveal, rotate]
        starts_at: 2026-12-01T08:00:00Z    # optional, with a time zone
        expires_at: 2026-12-31T18:00:00Z   # optional
        requires_justification: true       # optional, default false
        note: On-site visit, INC0012345    # optional

A grant is identified by who and where (grantee, tenant, device/site/tag); everything else is what
a plan reports as changed. Errors name the line and the field, and nothing is changed.
"""

import datetime
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.contrib.auth.models import Group
from django.db import transaction

from portal.access.policy import DEVICE_ACTIONS
from portal.accounts.backends import is_plausible_login_name
from portal.accounts.models import User, normalize_login_name
from portal.audit import services as audit
from portal.entitlements.models import Entitlement
from portal.inventory.models import Device, Tag, Tenant

FORMAT_VERSION = 1
FIELDS = {
    "group",
    "user",
    "tenant",
    "device",
    "site",
    "tag",
    "actions",
    "starts_at",
    "expires_at",
    "requires_justification",
    "note",
}
# What a plan compares, beyond the identity.
SETTINGS = ("actions", "starts_at", "expires_at", "requires_justification", "note")

Key = tuple[str, str, str, str, str, str]  # (grantee kind, grantee name, tenant, device, site, tag)


class InvalidFile(Exception):
    """The file cannot be applied. `errors` are 'line N, field F: message' strings."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class GrantSpec:
    key: Key
    settings: dict[str, Any]
    line: int | None = None

    def describe(self) -> str:
        kind, name, tenant, device, site, tag = self.key
        where = (
            f"device {device}"
            if device
            else f"site {site!r}"
            if site
            else f"tag {tag}"
            if tag
            else "all devices"
        )
        return f"{kind} {name} → tenant {tenant}, {where}"


@dataclass
class Change:
    kind: str  # "add", "change" or "remove"
    spec: GrantSpec
    before: dict[str, Any] | None = None
    entitlement: Entitlement | None = None
    creates_grantee: bool = False

    def describe(self) -> str:
        symbol = {"add": "+", "change": "~", "remove": "-"}[self.kind]
        text = f"{symbol} {self.kind:<6} {self.spec.describe()}"
        if self.kind == "add":
            new = f" (new {self.spec.key[0]}: check the spelling)" if self.creates_grantee else ""
            return f"{text}: {_settings_text(self.spec.settings)}{new}"
        if self.kind == "remove":
            return f"{text}: {_settings_text(self.before or {})}"
        differences = [
            f"{name} {_value_text(self.before.get(name))} → {_value_text(self.spec.settings.get(name))}"
            for name in SETTINGS
            if self.before.get(name) != self.spec.settings.get(name)
        ]
        return f"{text}: {'; '.join(differences)}"


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for change in self.changes if change.kind == kind)

    def summary(self) -> str:
        if not self.changes:
            return "No changes: the entitlements already match the file."
        return f"Plan: {self.count('add')} to add, {self.count('change')} to change, {self.count('remove')} to remove."


def _value_text(value: Any) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(value) or "none"
    return str(value)


def _settings_text(settings: dict[str, Any]) -> str:
    parts = [_value_text(settings.get("actions"))]
    for name in ("starts_at", "expires_at"):
        if settings.get(name):
            parts.append(f"{name} {_value_text(settings[name])}")
    if settings.get("requires_justification"):
        parts.append("justification required")
    return "; ".join(parts)


# --- reading the database ------------------------------------------------------------------------


def spec_of(entitlement: Entitlement) -> GrantSpec:
    kind, name = (
        ("group", entitlement.group.name) if entitlement.group_id else ("user", entitlement.user.username)
    )
    key = (
        kind,
        name,
        entitlement.tenant.slug,
        entitlement.device.serial if entitlement.device_id else "",
        entitlement.site,
        entitlement.tag.name if entitlement.tag_id else "",
    )
    settings = {
        "actions": sorted(entitlement.actions, key=DEVICE_ACTIONS.index),
        "starts_at": entitlement.starts_at,
        "expires_at": entitlement.expires_at,
        "requires_justification": entitlement.requires_justification,
        "note": entitlement.note,
    }
    return GrantSpec(key=key, settings=settings)


def current_grants() -> dict[Key, tuple[GrantSpec, Entitlement]]:
    rows = Entitlement.objects.select_related("group", "user", "tenant", "device", "tag").order_by("pk")
    return {spec.key: (spec, row) for row in rows for spec in [spec_of(row)]}


def export_yaml() -> str:
    """The current grants in the file format, sorted so that diffs between exports are readable."""
    entries = []
    for spec, _ in sorted(
        current_grants().values(), key=lambda item: (item[0].key[2], item[0].key[:2], item[0].key[3:])
    ):
        kind, name, tenant, device, site, tag = spec.key
        entry: dict[str, Any] = {kind: name, "tenant": tenant}
        for label, value in (("device", device), ("site", site), ("tag", tag)):
            if value:
                entry[label] = value
        entry["actions"] = spec.settings["actions"]
        for label in ("starts_at", "expires_at"):
            if spec.settings[label]:
                entry[label] = (
                    spec.settings[label].astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
                )
        if spec.settings["requires_justification"]:
            entry["requires_justification"] = True
        if spec.settings["note"]:
            entry["note"] = spec.settings["note"]
        entries.append(entry)
    header = "# Keydesk entitlements. Review changes here; apply with: manage.py entitlements apply FILE\n"
    body = yaml.safe_dump(
        {"version": FORMAT_VERSION, "entitlements": entries},
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=None,
    )
    return header + body


# --- reading the file ----------------------------------------------------------------------------


# A reviewed onboarding file is small; anything this big is a mistake or an attack on the parser.
MAX_FILE_BYTES = 2_000_000
MAX_ENTRIES = 20_000


class _Unreadable(Exception):
    """A value YAML parses but that cannot be a field value (bad date, huge number, nested keys)."""


def _scalar(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise _Unreadable(str(exc).splitlines()[0][:120]) from None


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, errors: list[str]) -> dict[str, tuple]:
    """{field name: (key node, value node)}; keys that are not text, or that repeat, are errors —
    a repeated key would let a file show a reviewer one value and apply another."""
    fields: dict[str, tuple] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode) or not isinstance(key_node.value, str):
            errors.append(f"line {line}: field names must be plain text")
            continue
        name = key_node.value
        if name in fields:
            errors.append(
                f"line {line}, field {name}: given twice (first on line {fields[name][0].start_mark.line + 1})"
            )
            continue
        fields[name] = (key_node, value_node)
    return fields


def parse(text: str) -> list[GrantSpec]:
    """Parse and validate a file against the database (read-only). Raises InvalidFile."""
    if len(text.encode()) > MAX_FILE_BYTES:
        raise InvalidFile([f"the file: larger than {MAX_FILE_BYTES // 1_000_000} MB; split it"])
    try:
        return _parse(text)
    except RecursionError:
        raise InvalidFile(["the file: nested too deeply to be an entitlements file"]) from None


def _parse(text: str) -> list[GrantSpec]:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "the file"
        raise InvalidFile([f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})"]) from None
    finally:
        loader.dispose()
    if not isinstance(root, yaml.MappingNode):
        raise InvalidFile(["line 1: the file must be a mapping with `version` and `entitlements`"])
    errors: list[str] = []
    top = _mapping(loader, root, errors)
    version_node = top.get("version")
    if version_node is None or version_node[1].value != str(FORMAT_VERSION):
        line = version_node[0].start_mark.line + 1 if version_node else 1
        errors.append(f"line {line}, field version: must be {FORMAT_VERSION}")
    for unknown in set(top) - {"version", "entitlements"}:
        errors.append(f"line {top[unknown][0].start_mark.line + 1}, field {unknown}: unknown top-level field")
    entries = top.get("entitlements")
    if entries is None:
        raise InvalidFile(errors + ["line 1, field entitlements: missing (use `entitlements: []` for none)"])
    if not isinstance(entries[1], yaml.SequenceNode):
        raise InvalidFile(
            errors + [f"line {entries[1].start_mark.line + 1}, field entitlements: must be a list"]
        )

    if len(entries[1].value) > MAX_ENTRIES:
        raise InvalidFile(errors + [f"field entitlements: more than {MAX_ENTRIES:,} entries; split the file"])
    lookup = _Lookup()
    specs: list[GrantSpec] = []
    seen: dict[Key, int] = {}
    for node in entries[1].value:
        spec = _parse_entry(loader, node, lookup, errors)
        if spec is None:
            continue
        if spec.key in seen:
            errors.append(
                f"line {spec.line}: the same grant as on line {seen[spec.key]} (same grantee and scope)"
            )
            continue
        seen[spec.key] = spec.line
        specs.append(spec)
    if errors:
        raise InvalidFile(errors)
    return specs


class _Lookup:
    """Names in the file resolved against the database, one query per kind."""

    def __init__(self) -> None:
        self.tenants = set(Tenant.objects.values_list("slug", flat=True))
        self.devices = dict(Device.objects.values_list("serial", "tenant__slug"))
        self.tags = set(Tag.objects.values_list("name", flat=True))


def _parse_entry(
    loader: yaml.SafeLoader, node: yaml.Node, lookup: _Lookup, errors: list[str]
) -> GrantSpec | None:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        errors.append(f"line {line}: each entitlement must be a mapping of fields")
        return None
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    before = len(errors)
    for name, (key_node, value_node) in _mapping(loader, node, errors).items():
        lines[name] = key_node.start_mark.line + 1
        if name not in FIELDS:
            errors.append(
                f"line {lines[name]}, field {name}: unknown field (known: {', '.join(sorted(FIELDS))})"
            )
            continue
        try:
            values[name] = _scalar(loader, value_node)
        except _Unreadable as exc:
            errors.append(f"line {lines[name]}, field {name}: cannot be read ({exc})")

    def error(name: str, message: str) -> None:
        errors.append(f"line {lines.get(name, line)}, field {name}: {message}")

    def text(name: str, max_length: int = 200) -> str:
        value = values.get(name)
        if value is None:
            return ""
        if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > max_length:
            error(name, f"must be text of at most {max_length} characters")
            return ""
        return str(value).strip()

    group, user = text("group", 150), normalize_login_name(text("user", 150))
    if user and not is_plausible_login_name(user):
        error("user", f"{user!r} is not a directory login name (letters, digits, . _ -)")
    if bool(group) == bool(user):
        error("group" if group else "user", "give exactly one of `group` or `user`")
    tenant = text("tenant", 100)
    if not tenant:
        error("tenant", "required (the tenant's slug)")
    elif tenant not in lookup.tenants:
        error("tenant", f"no tenant with slug {tenant!r}")
    device, site, tag = text("device", 100), text("site", 200), text("tag", 50)
    if sum(map(bool, (device, site, tag))) > 1:
        error("device" if device else "site", "scope to at most one of `device`, `site` or `tag`")
    if device and device not in lookup.devices:
        error("device", f"no device with serial {device!r}")
    elif device and tenant in lookup.tenants and lookup.devices[device] != tenant:
        error("device", f"device {device} belongs to tenant {lookup.devices[device]!r}, not {tenant!r}")
    if tag and tag not in lookup.tags:
        error("tag", f"no tag named {tag!r}")

    actions = values.get("actions")
    if not isinstance(actions, list) or not actions or not all(isinstance(a, str) for a in actions):
        error("actions", f"a non-empty list of: {', '.join(DEVICE_ACTIONS)}")
        actions = []
    unknown = [action for action in actions if action not in DEVICE_ACTIONS]
    if unknown:
        error("actions", f"unknown action(s) {', '.join(unknown)}; known: {', '.join(DEVICE_ACTIONS)}")
    actions = sorted(set(actions) & set(DEVICE_ACTIONS), key=DEVICE_ACTIONS.index)

    times: dict[str, datetime.datetime | None] = {}
    for name in ("starts_at", "expires_at"):
        value = values.get(name)
        if isinstance(value, str):
            try:
                value = datetime.datetime.fromisoformat(value)
            except ValueError:
                error(name, "not a date and time (use 2026-12-31T18:00:00Z)")
                value = None
        if value is not None and not isinstance(value, datetime.datetime):
            error(name, "not a date and time (use 2026-12-31T18:00:00Z)")
            value = None
        if value is not None and value.tzinfo is None:
            error(name, "add a time zone (Z for UTC, or +01:00)")
            value = None
        times[name] = value
    if times["starts_at"] and times["expires_at"] and times["expires_at"] <= times["starts_at"]:
        error("expires_at", "must be after starts_at")

    justification = values.get("requires_justification", False)
    if not isinstance(justification, bool):
        error("requires_justification", "true or false")
        justification = False
    note = text("note", 300)

    if len(errors) > before:
        return None
    return GrantSpec(
        key=("group", group, tenant, device, site, tag)
        if group
        else ("user", user, tenant, device, site, tag),
        settings={
            "actions": actions,
            "starts_at": times["starts_at"],
            "expires_at": times["expires_at"],
            "requires_justification": justification,
            "note": note,
        },
        line=line,
    )


# --- plan and apply ------------------------------------------------------------------------------


def _comparable(settings: dict[str, Any]) -> dict[str, Any]:
    return {name: settings.get(name) for name in SETTINGS}


def plan(specs: list[GrantSpec]) -> Plan:
    """What apply would change, in file order, then removals. Changes nothing."""
    current = current_grants()
    groups = set(Group.objects.values_list("name", flat=True))
    users = set(User.objects.values_list("username", flat=True))
    result = Plan()
    for spec in specs:
        existing = current.get(spec.key)
        if existing is None:
            kind, name = spec.key[:2]
            creates = name not in (groups if kind == "group" else users)
            result.changes.append(Change("add", spec, creates_grantee=creates))
        elif _comparable(existing[0].settings) != _comparable(spec.settings):
            result.changes.append(
                Change("change", spec, before=existing[0].settings, entitlement=existing[1])
            )
    wanted = {spec.key for spec in specs}
    for key, (spec, row) in current.items():
        if key not in wanted:
            result.changes.append(Change("remove", spec, before=spec.settings, entitlement=row))
    return result


def _snapshot(settings: dict[str, Any], key: Key) -> dict[str, Any]:
    return {
        "grantee": f"{key[0]} {key[1]}",
        "tenant": key[2],
        "device": key[3],
        "site": key[4],
        "tag": key[5],
        **{
            name: (value.isoformat() if isinstance(value, datetime.datetime) else value)
            for name, value in settings.items()
        },
    }


def _fill(row: Entitlement, spec: GrantSpec) -> Entitlement:
    kind, name, tenant, device, site, tag = spec.key
    if kind == "group":
        row.group, row.user = Group.objects.get_or_create(name=name)[0], None
    else:
        # A user who has not signed in yet: the directory login finds this row by name later.
        row.user, row.group = User.objects.get_or_create(username=name)[0], None
    row.tenant = Tenant.objects.get(slug=tenant)
    row.device = Device.objects.get(serial=device) if device else None
    row.site = site
    row.tag = Tag.objects.get(name=tag) if tag else None
    for action in DEVICE_ACTIONS:
        setattr(row, f"can_{action}", action in spec.settings["actions"])
    row.starts_at = spec.settings["starts_at"]
    row.expires_at = spec.settings["expires_at"]
    row.requires_justification = spec.settings["requires_justification"]
    row.note = spec.settings["note"]
    return row


def apply(text: str, *, applied_by: str, source: str = "") -> Plan:
    """Make the database match the file, in one transaction, audited as one change set."""
    changeset = str(uuid.uuid4())
    digest = hashlib.sha256(text.encode()).hexdigest()
    with transaction.atomic():
        # Serialise concurrent applies: the plan must be computed against what will be changed.
        list(Entitlement.objects.select_for_update().values_list("pk", flat=True))
        result = plan(parse(text))
        for change in result.changes:
            common = {"actor_name": applied_by, "detail": {"changeset": changeset, "file_sha256": digest}}
            if change.kind == "remove":
                audit.record(
                    None,
                    "entitlements.grant.delete",
                    target=change.entitlement,
                    before=_snapshot(change.before, change.spec.key),
                    **common,
                )
                change.entitlement.delete()
                continue
            row = _fill(change.entitlement or Entitlement(), change.spec)
            row.full_clean()
            row.save()
            audit.record(
                None,
                f"entitlements.grant.{'create' if change.kind == 'add' else 'update'}",
                target=row,
                before=_snapshot(change.before, change.spec.key) if change.before else None,
                after=_snapshot(change.spec.settings, change.spec.key),
                **common,
            )
        audit.record(
            None,
            "entitlements.apply",
            actor_name=applied_by,
            message=result.summary(),
            detail={
                "changeset": changeset,
                "file_sha256": digest,
                "source": source,
                "added": result.count("add"),
                "changed": result.count("change"),
                "removed": result.count("remove"),
            },
        )
    return result
