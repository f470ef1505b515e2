from django.contrib import admin
from django.http import HttpRequest

from portal import access
from portal.audit.models import AuditEvent
from portal.web.admin_site import PasswordSafeLookups


@admin.register(AuditEvent)
class AuditEventAdmin(PasswordSafeLookups):
    """Read-only: the trail cannot be edited or deleted from the admin either."""

    list_display = (
        "time",
        "actor_name",
        "action",
        "outcome",
        "tenant_name",
        "device_name",
        "credential_name",
    )
    list_filter = ("outcome",)
    search_fields = ("actor_name", "action", "device_name")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.may(request.user, "audit", AuditEvent)

    def has_view_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return access.may(request.user, "audit", AuditEvent)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
