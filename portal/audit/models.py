from django.conf import settings
from django.db import models


class AuditImmutable(Exception):
    """Raised on any attempt to change or remove an audit event through the ORM."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutable("Audit events cannot be updated.")

    def delete(self):
        raise AuditImmutable("Audit events cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):  # noqa: ANN001, ANN201
        raise AuditImmutable("Audit events cannot be updated.")

    def bulk_create(self, objs, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        # Appends go through audit.services.record, which links each event into the hash chain.
        raise AuditImmutable("Write audit events with portal.audit.services.record().")

    def update_or_create(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise AuditImmutable("Audit events cannot be updated.")

    def restrict(self, user, action: str) -> "AuditEventQuerySet":
        from portal.access.policy import scope

        return self.filter(scope(user, action, self.model))


class Outcome(models.TextChoices):
    SUCCESS = "success", "success"
    DENIED = "denied", "denied"
    ERROR = "error", "error"
    ATTEMPT = "attempt", "attempt"


class AuditEvent(models.Model):
    """One immutable record of an action, a denial or a failure. Never holds a secret value.

    Names of the actor, tenant, device and credential are copied so history survives deletions.
    """

    # Position in the hash chain: 1, 2, 3, … with no gaps. Newest first means highest sequence first.
    sequence = models.BigIntegerField(unique=True)
    time = models.DateTimeField(db_index=True)
    # No database constraint: deleting a user must not rewrite (SET NULL) the trail; the name stays.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=200, blank=True)
    request_id = models.UUIDField(null=True, blank=True, db_index=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    action = models.CharField(max_length=100)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    target_repr = models.CharField(max_length=300, blank=True)
    tenant_name = models.CharField(max_length=200, blank=True)
    device_name = models.CharField(max_length=200, blank=True)
    device_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    credential_name = models.CharField(max_length=200, blank=True)
    justification = models.TextField(blank=True)
    ticket = models.CharField(max_length=100, blank=True)
    version_before = models.PositiveIntegerField(null=True, blank=True)
    version_after = models.PositiveIntegerField(null=True, blank=True)
    vault_request_id = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=500, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # SHA-256 of the previous event's hash and this event's canonical fields (portal.audit.chain).
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Lower-cased words of the searchable fields, for free-text search (trigram index on PostgreSQL).
    # Derived, so not part of the hash.
    search_text = models.TextField(blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        # Every filter of the audit page, paired with the chain order so a filtered page is an index range.
        indexes = [
            models.Index(fields=["actor_name", "sequence"], name="audit_actor_seq"),
            models.Index(fields=["tenant_name", "sequence"], name="audit_tenant_seq"),
            models.Index(fields=["device_name", "sequence"], name="audit_device_seq"),
            models.Index(fields=["credential_name", "sequence"], name="audit_credential_seq"),
            models.Index(fields=["action", "sequence"], name="audit_action_seq"),
            models.Index(fields=["outcome", "sequence"], name="audit_outcome_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.actor_name or '-'} {self.action} {self.outcome}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditImmutable("Audit events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("Audit events cannot be deleted.")


class AuditChainHead(models.Model):
    """The chain's last link (one row). Locked by each append, so appends from any number of
    workers form one linear chain; also lets `audit verify` notice events cut off the end."""

    sequence = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.sequence} {self.hash[:12]}"


class AuditCheckpoint(models.Model):
    """A signed statement "event #sequence has hash H", signed by a Vault Transit key the database
    never sees, so that even a rewrite of the whole table with fresh hashes is detectable."""

    created_at = models.DateTimeField(auto_now_add=True)
    sequence = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    signature = models.TextField()

    class Meta:
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"checkpoint #{self.sequence} {self.hash[:12]}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditImmutable("Checkpoints cannot be changed.")
        super().save(*args, **kwargs)

    def statement(self) -> bytes:
        return f"keydesk-audit-checkpoint:{self.sequence}:{self.hash}".encode()
