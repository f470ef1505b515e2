from django.contrib import admin

from portal.entitlements.models import Entitlement
from portal.web.admin_site import PolicyModelAdmin


@admin.register(Entitlement)
class EntitlementAdmin(PolicyModelAdmin):
    list_display = (
        "__str__",
        "tenant",
        "group",
        "user",
        "can_view",
        "can_reveal",
        "can_rotate",
        "can_update",
        "starts_at",
        "expires_at",
    )
    list_filter = ("tenant", "group", "can_reveal", "can_rotate", "can_update")
    list_select_related = ("tenant", "group", "user", "device", "tag")
    raw_id_fields = ("user", "device")
