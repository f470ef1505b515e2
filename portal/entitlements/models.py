from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.access.querysets import RestrictedQuerySet
from portal.inventory.models import Device, Tag, Tenant


class EntitlementQuerySet(RestrictedQuerySet):
    def active(self, at=None) -> "EntitlementQuerySet":
        """Grants in force at `at` (now by default): an expired grant stops at that instant."""
        at = at or timezone.now()
        return self.filter(
            (Q(starts_at__isnull=True) | Q(starts_at__lte=at))
            & (Q(expires_at__isnull=True) | Q(expires_at__gt=at))
        )


class Entitlement(models.Model):
    """Who (a directory group or one user) may do which actions on which devices, and when.

    Scope: a whole tenant, one device of it, or the tenant's devices at a site or carrying a tag.
    Read for authorisation only by portal.access.policy.
    """

    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="entitlements"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="entitlements"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="entitlements")
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.CASCADE, related_name="entitlements"
    )
    site = models.CharField(max_length=200, blank=True)
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.CASCADE, related_name="entitlements")

    can_view = models.BooleanField("view", default=True)
    can_reveal = models.BooleanField("reveal", default=False)
    can_rotate = models.BooleanField("rotate", default=False)
    can_update = models.BooleanField("update", default=False)

    starts_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    requires_justification = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EntitlementQuerySet.as_manager()

    class Meta:
        ordering = ["tenant__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(group__isnull=False, user__isnull=True) | Q(group__isnull=True, user__isnull=False)
                ),
                name="entitlement_exactly_one_grantee",
                violation_error_message="Grant to exactly one of a group or a user.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grantee_label} → {self.scope_label}: {', '.join(self.actions) or 'nothing'}"

    @property
    def grantee_label(self) -> str:
        # An unsaved or half-edited grant may have neither (the constraint refuses to store that).
        if self.group_id:
            return f"group {self.group.name}"
        if self.user_id:
            return f"user {self.user.username}"
        return "no grantee"

    @property
    def scope_label(self) -> str:
        if self.device_id:
            return f"device {self.device.serial}"
        if self.site:
            return f"{self.tenant.name} at site {self.site}"
        if self.tag_id:
            return f"{self.tenant.name} tagged {self.tag.name}"
        return f"tenant {self.tenant.name}"

    @property
    def actions(self) -> list[str]:
        flags = {
            "view": self.can_view,
            "reveal": self.can_reveal,
            "rotate": self.can_rotate,
            "update": self.can_update,
        }
        return [name for name, granted in flags.items() if granted]

    def clean(self) -> None:
        narrowings = sum([bool(self.device_id), bool(self.site), bool(self.tag_id)])
        if narrowings > 1:
            raise ValidationError("Scope to a device, a site or a tag — at most one of them.")
        if self.device_id and self.tenant_id and self.device.tenant_id != self.tenant_id:
            raise ValidationError({"device": "The device belongs to another tenant."})
        if self.starts_at and self.expires_at and self.expires_at <= self.starts_at:
            raise ValidationError({"expires_at": "The grant must expire after it starts."})
        if not self.actions:
            raise ValidationError("Grant at least one action.")
