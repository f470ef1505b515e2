"""The audit trail's hash chain: canonical form, hashing, appending under a lock, verification.

Each event's hash is SHA-256 over the previous event's hash and the event's own fields in a fixed
canonical JSON form. Changing, removing, inserting or reordering any event breaks the chain from
that point; checkpoints signed by a Vault Transit key make a rewrite of the whole chain detectable.
"""

import datetime
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit.context import normalise_ip
from portal.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent

GENESIS = "0" * 64
HASHED_FIELDS = (
    "sequence",
    "time",
    "actor_id",
    "actor_name",
    "request_id",
    "source_ip",
    "user_agent",
    "action",
    "outcome",
    "target_type",
    "target_id",
    "target_repr",
    "tenant_name",
    "device_name",
    "device_id",
    "credential_name",
    "justification",
    "ticket",
    "version_before",
    "version_after",
    "vault_request_id",
    "message",
    "before",
    "after",
    "detail",
    "prev_hash",
)
SEARCHED_FIELDS = (
    "actor_name",
    "action",
    "outcome",
    "tenant_name",
    "device_name",
    "credential_name",
    "target_repr",
    "ticket",
    "justification",
    "message",
    "source_ip",
    "vault_request_id",
)


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def canonical(fields: dict[str, Any]) -> bytes:
    """The bytes that are hashed: the hashed fields as sorted, compact UTF-8 JSON. The address is
    taken in its one spelling, so the hash does not depend on how the database writes it back."""
    payload = {name: _canonical_value(fields.get(name)) for name in HASHED_FIELDS}
    payload["source_ip"] = normalise_ip(payload["source_ip"])
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


def fields_of(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in HASHED_FIELDS}


def search_text(event: AuditEvent) -> str:
    return " ".join(str(getattr(event, name) or "") for name in SEARCHED_FIELDS).lower()[:4000]


def _locked_head() -> AuditChainHead:
    """The head row, locked until the caller's transaction ends. Created on first use (the test
    database is emptied between some tests, taking the row with it)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(
                pk=1, sequence=last["sequence"] if last else 0, hash=last["hash"] if last else GENESIS
            )
    except IntegrityError:
        pass  # another worker created it first
    return AuditChainHead.objects.select_for_update().get(pk=1)


def _link(event: AuditEvent, sequence: int, prev_hash: str) -> str:
    """Make `event` the link after `prev_hash`: its place, its stored forms and its hash."""
    event.sequence, event.prev_hash = sequence, prev_hash
    event.source_ip = normalise_ip(event.source_ip)
    event.search_text = search_text(event)
    event.hash = event_hash(fields_of(event))
    return event.hash


def append(event: AuditEvent) -> AuditEvent:
    """Link `event` after the current head and store it. Must run inside a transaction: the head
    stays locked until it commits, which serialises appends across processes."""
    head = _locked_head()
    # Taken under the lock, so time order and chain order agree.
    event.time = timezone.now()
    _link(event, head.sequence + 1, head.hash)
    event.save(force_insert=True)
    AuditChainHead.objects.filter(pk=1).update(sequence=event.sequence, hash=event.hash)
    return event


def append_many(events: Iterable[AuditEvent], batch_size: int = 5000) -> int:
    """Bulk appends for data generators (benchmarks): same chain, batched inserts, one lock."""
    count = 0
    with transaction.atomic():
        head = _locked_head()
        sequence, previous = head.sequence, head.hash
        batch: list[AuditEvent] = []
        for event in events:
            sequence += 1
            event.time = event.time or timezone.now()
            previous = _link(event, sequence, previous)
            batch.append(event)
            if len(batch) >= batch_size:
                AuditEvent._base_manager.bulk_create(batch)
                count += len(batch)
                batch = []
        if batch:
            AuditEvent._base_manager.bulk_create(batch)
            count += len(batch)
        AuditChainHead.objects.filter(pk=1).update(sequence=sequence, hash=previous)
    return count


# --- verification --------------------------------------------------------------------------------


@dataclass
class Verdict:
    intact: bool
    events: int
    head: str
    problem: str = ""
    sequence: int | None = None
    checkpoints: int = 0

    def __str__(self) -> str:
        if self.intact:
            if self.checkpoints:
                return f"intact, {self.events} events, head {self.head}, {self.checkpoints} signed checkpoint(s) valid"
            return (
                f"intact, {self.events} events, head {self.head} (no signed checkpoint checked: a rewrite of the "
                "whole trail would go unnoticed; run `manage.py audit checkpoint` regularly)"
            )
        return f"BROKEN at sequence {self.sequence}: {self.problem}"


def _stream() -> Iterator[dict[str, Any]]:
    columns = ("pk", "hash", *HASHED_FIELDS)
    yield from AuditEvent._base_manager.order_by("sequence").values(*columns).iterator(chunk_size=5000)


def verify(signature_check: Any = None) -> Verdict:
    """Walk the whole chain in order and report the first broken link.

    signature_check(checkpoint) -> bool verifies a checkpoint's Transit signature (None: skip).
    """
    previous_hash, expected_sequence, count = GENESIS, 1, 0
    hashes_at: dict[int, str] = {}
    # Each checkpoint is also announced by an audit.checkpoint event: deleting checkpoint rows to
    # hide a rewrite leaves those announcements behind.
    announced: dict[int, str] = {}
    # Read once, before the walk: a checkpoint signed while verify runs is for the next run.
    checkpoints = list(AuditCheckpoint.objects.order_by("sequence"))
    checkpoint_sequences = {checkpoint.sequence for checkpoint in checkpoints}

    def broken(sequence: int, problem: str) -> Verdict:
        return Verdict(False, count, previous_hash, sequence=sequence, problem=problem)

    for row in _stream():
        sequence = row["sequence"]
        if sequence != expected_sequence:
            return broken(
                expected_sequence,
                f"sequence jumps from {expected_sequence - 1} to {sequence}: "
                f"{sequence - expected_sequence} event(s) are missing",
            )
        if row["prev_hash"] != previous_hash:
            return broken(
                sequence,
                f"event {row['pk']} does not link to event {sequence - 1}: an event before it "
                "was removed, inserted, reordered or changed",
            )
        if event_hash(row) != row["hash"]:
            return broken(
                sequence,
                f"event {row['pk']} was changed after it was written (its hash does not match)",
            )
        if sequence in checkpoint_sequences:
            hashes_at[sequence] = row["hash"]
        if row["action"] == "audit.checkpoint" and isinstance(row["detail"], dict):
            announced[int(row["detail"].get("sequence", 0))] = str(row["detail"].get("hash", ""))
        previous_hash, expected_sequence, count = row["hash"], sequence + 1, count + 1
    head = AuditChainHead.objects.filter(pk=1).values("sequence", "hash").first()
    if head and (head["sequence"], head["hash"]) != (count, previous_hash):
        return broken(
            count + 1,
            f"the chain ends at event {count} but its head records {head['sequence']}: "
            "events were cut off the end",
        )
    stored = {checkpoint.sequence: checkpoint.hash for checkpoint in checkpoints}
    for sequence, announced_hash in sorted(announced.items()):
        if stored.get(sequence) != announced_hash:
            return broken(
                sequence,
                f"the trail records a signed checkpoint of event {sequence} that is gone or "
                "altered: checkpoints were removed",
            )
    verified = 0
    for checkpoint in checkpoints:
        if hashes_at.get(checkpoint.sequence) != checkpoint.hash:
            return broken(
                checkpoint.sequence,
                f"checkpoint {checkpoint.pk} signed hash {checkpoint.hash[:16]}… for event "
                f"{checkpoint.sequence}, which now has another hash or is gone: the chain was rewritten",
            )
        if signature_check is not None:
            if not signature_check(checkpoint):
                return broken(
                    checkpoint.sequence,
                    f"checkpoint {checkpoint.pk} has an invalid signature: it was forged or altered",
                )
            verified += 1
    return Verdict(True, count, previous_hash, checkpoints=verified)
