"""The trail is append-only at every layer and tampering is detectable."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from portal.audit import chain
from portal.audit import services as audit
from portal.audit.models import AuditEvent, AuditImmutable

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(alice, credential_a):
    return [
        audit.record(alice, "vault.secret.read", target=credential_a, message=f"event {n}") for n in range(5)
    ]


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


class tampering:
    """What an attacker with the table owner's rights does: switch the triggers off, edit, switch on."""

    def __init__(self, table: str = "audit_auditevent") -> None:
        self.table = table

    def __enter__(self):
        raw(f"ALTER TABLE {self.table} DISABLE TRIGGER USER")

    def __exit__(self, *exc):
        raw(f"ALTER TABLE {self.table} ENABLE TRIGGER USER")


def verify() -> chain.Verdict:
    return audit.verify_chain(check_signatures=True)


def test_a_fresh_chain_is_intact_and_linked(trail):
    verdict = verify()
    assert verdict.intact and verdict.events == 5 and verdict.head == trail[-1].hash
    assert [event.sequence for event in trail] == [1, 2, 3, 4, 5]
    assert trail[0].prev_hash == chain.GENESIS and trail[1].prev_hash == trail[0].hash


@pytest.mark.parametrize(
    "operation",
    [
        lambda event: AuditEvent.objects.filter(pk=event.pk).update(message="x"),
        lambda event: AuditEvent.objects.filter(pk=event.pk).delete(),
        lambda event: AuditEvent.objects.bulk_update([event], ["message"]),
        lambda event: AuditEvent.objects.bulk_create([AuditEvent(action="forged")]),
        lambda event: AuditEvent.objects.update_or_create(pk=event.pk, defaults={"message": "x"}),
        lambda event: event.delete(),
        lambda event: event.save(),
    ],
    ids=[
        "update",
        "delete",
        "bulk_update",
        "bulk_create",
        "update_or_create",
        "instance delete",
        "instance save",
    ],
)
def test_the_orm_refuses_every_change(trail, operation):
    with pytest.raises(AuditImmutable):
        operation(trail[0])


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET message = 'edited'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
        "UPDATE audit_auditcheckpoint SET hash = 'x'",
        "TRUNCATE audit_auditcheckpoint",
    ],
)
def test_postgresql_triggers_refuse_raw_sql(trail, sql):
    assert connection.vendor == "postgresql"
    audit.sign_checkpoint()
    raw("SET LOCAL keydesk.audit_maintenance = ''")  # what a production session has
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(sql)
    assert AuditEvent.objects.count() == 6  # five, and the checkpoint's own event


def test_an_edited_row_is_found(trail):
    with tampering():
        raw("UPDATE audit_auditevent SET actor_name = 'mallory' WHERE sequence = 3")
    verdict = verify()
    assert not verdict.intact and verdict.sequence == 3 and "was changed" in verdict.problem


def test_a_deleted_row_is_found(trail):
    with tampering():
        raw("DELETE FROM audit_auditevent WHERE sequence = 2")
    verdict = verify()
    assert not verdict.intact and verdict.sequence == 2 and "missing" in verdict.problem


def test_a_reordered_pair_is_found(trail):
    with tampering():
        raw("UPDATE audit_auditevent SET sequence = -1 WHERE sequence = 2")
        raw("UPDATE audit_auditevent SET sequence = 2 WHERE sequence = 3")
        raw("UPDATE audit_auditevent SET sequence = 3 WHERE sequence = -1")
    verdict = verify()
    assert not verdict.intact and verdict.sequence == 2 and "does not link" in verdict.problem


def test_events_cut_off_the_end_are_found(trail):
    with tampering():
        raw("DELETE FROM audit_auditevent WHERE sequence >= 4")
    verdict = verify()
    assert not verdict.intact and "cut off the end" in verdict.problem


def test_a_rewritten_chain_is_caught_by_the_signed_checkpoint(trail):
    audit.sign_checkpoint()
    with tampering():
        # Rewrite history and recompute every hash and the head: the chain alone now looks fine ...
        raw("UPDATE audit_auditevent SET actor_name = 'mallory' WHERE sequence = 2")
        previous = trail[0].hash
        for row in AuditEvent._base_manager.filter(sequence__gte=2).order_by("sequence").values():
            row["prev_hash"] = previous
            previous = chain.event_hash(row)
            raw(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [row["prev_hash"], previous, row["id"]],
            )
        raw("UPDATE audit_auditchainhead SET hash = %s", [previous])
    assert chain.verify(None).problem.startswith("checkpoint")  # ... but not the checkpoint
    verdict = verify()
    assert not verdict.intact and "the chain was rewritten" in verdict.problem


def test_a_forged_checkpoint_signature_is_found(trail):
    checkpoint = audit.sign_checkpoint()
    with tampering("audit_auditcheckpoint"):
        raw("UPDATE audit_auditcheckpoint SET signature = 'fake:v1:00' WHERE id = %s", [checkpoint.pk])
    verdict = verify()
    assert not verdict.intact and "invalid signature" in verdict.problem


def test_verify_command_reports_intact_or_the_first_broken_link(trail):
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue().startswith(f"intact, 5 events, head {trail[-1].hash}")
    with tampering():
        raw("UPDATE audit_auditevent SET message = 'x' WHERE sequence = 4")
    with pytest.raises(CommandError, match="BROKEN at sequence 4"):
        call_command("audit", "verify", stdout=io.StringIO())


def test_checkpoint_command_signs_the_head(trail, fake_vault):
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out)
    assert f"event 5, hash {trail[-1].hash}" in out.getvalue()
    assert ("sign", "transit/keydesk-audit") in fake_vault.calls
    assert AuditEvent.objects.filter(action="audit.checkpoint").exists()


def test_deleting_the_checkpoints_to_hide_a_rewrite_is_found(trail):
    audit.sign_checkpoint()
    with tampering("audit_auditcheckpoint"):
        raw("DELETE FROM audit_auditcheckpoint")
    verdict = verify()
    assert not verdict.intact and "checkpoints were removed" in verdict.problem


def test_verify_says_when_no_checkpoint_protects_the_trail(trail):
    assert "no signed checkpoint checked" in str(verify())


def test_verify_with_vault_down_says_how_to_check_without_it(trail, fake_vault):
    from portal.vault.client import VaultSealed

    audit.sign_checkpoint()
    fake_vault.fail_with = VaultSealed("Vault is sealed.")
    with pytest.raises(CommandError, match="--no-signatures"):
        call_command("audit", "verify", stdout=io.StringIO())
    out = io.StringIO()
    call_command("audit", "verify", "--no-signatures", stdout=out)
    assert out.getvalue().startswith("intact")


@pytest.mark.parametrize(
    ("seen", "stored"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"),  # an IPv4 client on a dual-stack listener
        ("fe80::1%eth0", "fe80::1"),
        ("192.0.2.1:5678", "192.0.2.1"),  # a proxy that appends the port
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("::1.2.3.4", "::1.2.3.4"),  # deprecated IPv4-compatible: each side spells it its own way
        ("not an address", None),
    ],
)
def test_odd_client_addresses_keep_the_chain_intact(alice, seen, stored):
    """A false tamper alarm would hide real tampering after it: verify stops at the first break."""
    from portal.audit import context

    token = context.activate(context.RequestContext(source_ip=seen))
    try:
        audit.record(alice, "accounts.login", message="from an odd address")
    finally:
        context.deactivate(token)
    event = AuditEvent.objects.get(action="accounts.login", actor_name="alice")
    spelt = context.normalise_ip(stored)  # Python's spelling; PostgreSQL may write it otherwise
    assert event.source_ip in {stored, spelt} if stored else event.source_ip is None
    assert verify().intact, verify().problem


def test_the_client_address_behind_a_proxy_is_normalised_for_the_lockout_too(rf, settings):
    from portal.audit.middleware import client_address

    settings.KEYDESK_TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="198.51.100.9, ::ffff:203.0.113.5", REMOTE_ADDR="10.0.0.2")
    assert client_address(request) == "203.0.113.5"
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.5:40112", REMOTE_ADDR="10.0.0.2")
    assert client_address(request) == "203.0.113.5"
