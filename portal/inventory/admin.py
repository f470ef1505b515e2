from django.contrib import admin

from portal.inventory.models import Credential, Device, Tag, Tenant
from portal.web.admin_site import PolicyModelAdmin, PolicyTabularInline


@admin.register(Tenant)
class TenantAdmin(PolicyModelAdmin):
    # Where a tenant's secrets live is fixed once created: pointing it elsewhere would let its
    # engineers read another tenant's secrets through their own grants.
    location_fields = ("vault_namespace", "kv_mount", "path_prefix")

    list_display = ("name", "slug", "vault_namespace", "kv_mount", "path_prefix", "requires_justification")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Tag)
class TagAdmin(PolicyModelAdmin):
    search_fields = ("name",)


class CredentialInline(PolicyTabularInline):
    model = Credential
    extra = 0
    fields = ("name", "kind", "vault_path", "rotate_field", "length", "charset", "max_age_days")
    readonly_fields = ("vault_path",)  # the default path under the tenant's prefix


@admin.register(Device)
class DeviceAdmin(PolicyModelAdmin):
    # A device's tenant decides where its credentials live in Vault; to move one, re-create it.
    location_fields = ("tenant",)

    list_display = ("serial", "name", "tenant", "site", "status")
    list_filter = ("tenant", "status")
    search_fields = ("serial", "name", "site")
    list_select_related = ("tenant",)
    filter_horizontal = ("tags",)
    inlines = [CredentialInline]


@admin.register(Credential)
class CredentialAdmin(PolicyModelAdmin):
    # Which secret or account a credential is: re-pointing one would hand another tenant's secret
    # (or database/directory account) to the engineers entitled to this one.
    location_fields = ("device", "kind", "vault_path", "engine_mount", "engine_role")
    # What Vault last said about the secret (refreshed from its metadata), not an admin's to edit.
    readonly_fields = ("vault_version", "last_changed_at")

    list_display = ("__str__", "kind", "vault_path", "rotate_field", "length", "charset")
    list_filter = ("kind", "device__tenant")
    search_fields = ("device__serial", "name", "vault_path")
    list_select_related = ("device", "device__tenant")
    raw_id_fields = ("device",)
