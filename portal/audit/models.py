from django.conf import settings
from django.db import models


class AuditImmutable(Exception):
    """Raised on any attempt to change or remove an audit event through the ORM."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutable("Audit events cannot be updated.")

    def delete(self):
        raise AuditImmutable("Audit events cannot be deleted.")

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

    time = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField(max_length=200, blank=True, db_index=True)
    request_id = models.UUIDField(null=True, blank=True, db_index=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    target_repr = models.CharField(max_length=300, blank=True)
    tenant_name = models.CharField(max_length=200, blank=True, db_index=True)
    device_name = models.CharField(max_length=200, blank=True, db_index=True)
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

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-time", "-pk"]
        indexes = [models.Index(fields=["-time", "-id"], name="audit_newest_first")]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.actor_name or '-'} {self.action} {self.outcome}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditImmutable("Audit events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("Audit events cannot be deleted.")
