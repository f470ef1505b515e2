"""Entitlements as code: export, plan and apply, with errors that name the line and the field."""

import io
import textwrap

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.audit.models import AuditEvent
from portal.entitlements import as_code
from portal.entitlements.models import Entitlement
from tests.factories import make_device, make_engineer, make_grant

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("entitlements", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write(tmp_path, text: str):
    path = tmp_path / "grants.yaml"
    path.write_text(textwrap.dedent(text))
    return str(path)


@pytest.fixture
def grants(tenant_a, tenant_b, device_a):
    from django.utils import timezone

    make_grant(tenant_a, "view", "reveal", "rotate", group="team-a")
    make_grant(tenant_b, "view", group="team-b", requires_justification=True, note="read only")
    make_grant(
        tenant_a,
        "update",
        user=make_engineer("fiona"),
        device=device_a,
        expires_at=timezone.now().replace(microsecond=0) + timezone.timedelta(days=3),
    )


def test_export_then_plan_shows_no_change(grants, tmp_path):
    path = tmp_path / "export.yaml"
    run("export", "--output", str(path))
    assert "No changes" in run("plan", str(path))


def test_export_apply_plan_round_trip_on_an_empty_database(grants, tmp_path):
    exported = as_code.export_yaml()
    Entitlement.objects.all().delete()
    path = write(tmp_path, exported)
    output = run("apply", path, "--applied-by", "ci:pipeline-42")
    assert "Applied: 3 add" in output
    assert "No changes" in run("plan", path)
    assert as_code.export_yaml() == exported


def test_plan_lists_additions_changes_and_removals_and_changes_nothing(grants, tenant_a, tmp_path):
    path = write(
        tmp_path,
        """\
        version: 1
        entitlements:
          - group: team-a
            tenant: tenant-a
            actions: [view, reveal]
          - group: team-c
            tenant: tenant-a
            site: Basel
            actions: [view]
    """,
    )
    before = list(Entitlement.objects.values())
    output = run("plan", path)
    assert (
        "~ change group team-a → tenant tenant-a, all devices: actions view, reveal, rotate → view, reveal"
        in output
    )
    assert "+ add    group team-c → tenant tenant-a, site 'Basel': view" in output
    assert output.count("- remove") == 2
    assert "Plan: 1 to add, 1 to change, 2 to remove." in output
    assert list(Entitlement.objects.values()) == before


def test_apply_is_one_audited_change_set_and_idempotent(grants, tmp_path):
    path = write(
        tmp_path,
        """\
        version: 1
        entitlements:
          - group: team-a
            tenant: tenant-a
            actions: [view]
    """,
    )
    run("apply", path, "--applied-by", "ci:abc123")
    changes = AuditEvent.objects.filter(action__startswith="entitlements.grant.")
    assert sorted(changes.values_list("action", flat=True)) == [
        "entitlements.grant.delete",
        "entitlements.grant.delete",
        "entitlements.grant.update",
    ]
    changesets = {event.detail["changeset"] for event in changes}
    summary = AuditEvent.objects.get(action="entitlements.apply")
    assert changesets == {summary.detail["changeset"]}
    assert (summary.actor_name, summary.detail["removed"], summary.detail["changed"]) == ("ci:abc123", 2, 1)
    update = changes.get(action="entitlements.grant.update")
    assert (update.before["actions"], update.after["actions"]) == (["view", "reveal", "rotate"], ["view"])
    run("apply", path)
    assert Entitlement.objects.count() == 1
    assert AuditEvent.objects.filter(action__startswith="entitlements.grant.").count() == 3


def test_malformed_file_names_line_and_field_and_changes_nothing(grants, tmp_path):
    path = write(
        tmp_path,
        """\
        version: 1
        entitlements:
          - group: team-a
            tenant: tenant-a
            actions: [view, reveel]
          - user: bob
            tenant: nowhere
            actions: [view]
            expires_at: 2026-12-31T18:00:00
          - group: team-a
            tenant: tenant-a
            device: B-0001
            actions: [view]
            colour: blue
    """,
    )
    before = list(Entitlement.objects.values())
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("entitlements", "apply", path, stdout=io.StringIO(), stderr=stderr)
    errors = stderr.getvalue()
    assert "line 5, field actions: unknown action(s) reveel" in errors
    assert "line 7, field tenant: no tenant with slug 'nowhere'" in errors
    assert "line 9, field expires_at: add a time zone" in errors
    assert "line 12, field device: no device with serial 'B-0001'" in errors or "belongs to tenant" in errors
    assert "line 14, field colour: unknown field" in errors
    assert list(Entitlement.objects.values()) == before
    assert not AuditEvent.objects.filter(action__startswith="entitlements.").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\nentitlements: [\n", "not valid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ("version: 2\nentitlements: []\n", "field version: must be 1"),
        ("version: 1\n", "field entitlements: missing"),
        (
            "version: 1\nentitlements:\n  - group: g\n    tenant: tenant-a\n    actions: [view]\n  - group: g\n    tenant: tenant-a\n    actions: [view]\n",
            "line 6: the same grant as on line 3",
        ),
        (
            "version: 1\nentitlements:\n  - group: g\n    tenant: tenant-a\n    actions: view\n",
            "field actions: a non-empty list",
        ),
    ],
)
def test_structural_errors_are_explained(tenant_a, text, message):
    with pytest.raises(as_code.InvalidFile) as caught:
        as_code.parse(text)
    assert message in str(caught.value)


def test_applied_grants_work_in_the_policy(tenant_a, tmp_path):
    from django.conf import settings
    from django.contrib.auth.models import Group

    from portal.inventory.models import Device

    device = make_device(tenant_a, serial="A-CODE")
    path = write(
        tmp_path,
        """\
        version: 1
        entitlements:
          - user: newcomer
            tenant: tenant-a
            actions: [view, reveal]
    """,
    )
    run("apply", path)
    from portal.accounts.models import User

    newcomer = User.objects.get(username="newcomer")
    assert list(Device.objects.restrict(newcomer, "reveal")) == []  # not an engineer (yet)
    newcomer.groups.add(Group.objects.get_or_create(name=settings.KEYDESK_ENGINEER_GROUP)[0])  # as at sign-in
    assert list(Device.objects.restrict(newcomer, "reveal")) == [device]


def test_unreadable_file_is_a_clear_error():
    with pytest.raises(CommandError, match="cannot be read"):
        run("plan", "/nonexistent/grants.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "version: 1\nentitlements:\n  - group: team-a\n    group: team-b\n    tenant: tenant-a\n    actions: [view]\n",
            "line 4, field group: given twice (first on line 3)",
        ),
        (
            "version: 1\nentitlements: []\nentitlements:\n  - group: g\n    tenant: tenant-a\n    actions: [view]\n",
            "line 3, field entitlements: given twice",
        ),
        (
            "version: 1\nentitlements:\n  - group: g\n    tenant: tenant-a\n    actions: [view]\n    note: "
            + "9" * 5000
            + "\n",
            "field note: cannot be read",
        ),
        (
            "version: 1\nentitlements:\n  - group: g\n    tenant: tenant-a\n    actions: [view]\n    expires_at: 2026-13-45T00:00:00Z\n",
            "field expires_at: cannot be read",
        ),
        (
            "version: 1\nentitlements:\n  - ? [a, b]\n    : x\n    group: g\n    tenant: tenant-a\n    actions: [view]\n",
            "field names must be plain text",
        ),
        (
            "version: 1\nentitlements:\n  - user: 'bad name!'\n    tenant: tenant-a\n    actions: [view]\n",
            "is not a directory login name",
        ),
        (
            "version: 1\nentitlements:\n  - group: g\n    tenant: tenant-a\n    actions: "
            + "[" * 50000
            + "]" * 50000
            + "\n",
            "the file",
        ),
    ],
    ids=[
        "repeated field",
        "repeated top-level",
        "huge number",
        "impossible date",
        "list as key",
        "bad user",
        "deep",
    ],
)
def test_tricky_yaml_is_an_error_not_a_crash(tenant_a, text, message):
    with pytest.raises(as_code.InvalidFile) as caught:
        as_code.parse(text)
    assert message in str(caught.value)


def test_plan_flags_a_grantee_that_does_not_exist_yet(tenant_a, tmp_path):
    path = write(
        tmp_path,
        """\
        version: 1
        entitlements:
          - group: team-typo
            tenant: tenant-a
            actions: [view]
    """,
    )
    assert "(new group: check the spelling)" in run("plan", path)
