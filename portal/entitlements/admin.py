from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from portal import access
from portal.access.policy import DEVICE_ACTIONS
from portal.audit import services as audit
from portal.entitlements.models import Entitlement
from portal.web.admin_site import PolicyModelAdmin, snapshot


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):  # noqa: ANN001, ANN201
        return [("active", "Active now"), ("scheduled", "Not yet valid"), ("expired", "Expired or revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "active":
            return queryset.active(now)
        if self.value() == "scheduled":
            return queryset.filter(starts_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=now)
        return queryset


class ActionFilter(admin.SimpleListFilter):
    title = "grants action"
    parameter_name = "grants"

    def lookups(self, request, model_admin):  # noqa: ANN001, ANN201
        return [(action, action) for action in DEVICE_ACTIONS]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in DEVICE_ACTIONS:
            return queryset.filter(**{f"can_{self.value()}": True})
        return queryset


class GranteeFilter(admin.SimpleListFilter):
    title = "grantee kind"
    parameter_name = "grantee"

    def lookups(self, request, model_admin):  # noqa: ANN001, ANN201
        return [("group", "Directory groups"), ("user", "Single users")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "group":
            return queryset.filter(group__isnull=False)
        if self.value() == "user":
            return queryset.filter(user__isnull=False)
        return queryset


@admin.register(Entitlement)
class EntitlementAdmin(PolicyModelAdmin):
    list_display = (
        "grantee_label",
        "scope_label",
        "actions_label",
        "starts_at",
        "expires_at",
        "status_label",
        "requires_justification",
    )
    list_filter = (StatusFilter, ActionFilter, GranteeFilter, "tenant", "group", "requires_justification")
    search_fields = (
        "group__name",
        "user__username",
        "tenant__name",
        "tenant__slug",
        "device__serial",
        "site",
        "tag__name",
        "note",
    )
    list_select_related = ("tenant", "group", "user", "device", "tag")
    raw_id_fields = ("user", "device")
    actions = ["revoke_selected"]
    fieldsets = (
        (
            "Who",
            {"fields": ("group", "user"), "description": "Exactly one: a directory group or a single user."},
        ),
        (
            "Where",
            {
                "fields": ("tenant", "device", "site", "tag"),
                "description": "The whole tenant, or narrowed to one device, a site or a tag.",
            },
        ),
        (
            "What",
            {"fields": ("can_view", "can_reveal", "can_rotate", "can_update", "requires_justification")},
        ),
        ("When", {"fields": ("starts_at", "expires_at")}),
        (None, {"fields": ("note",)}),
    )

    def get_form(self, request: HttpRequest, obj: Entitlement | None = None, change: bool = False, **kwargs):  # noqa: ANN003, ANN201
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class FourEyesForm(form_class):
            def clean(self) -> dict:
                cleaned = super().clean()
                if not access.may_grant(request.user, self.instance_with(cleaned)):
                    raise ValidationError(
                        "You cannot grant access to yourself or to a group you are in; another admin must do it."
                    )
                return cleaned

            def instance_with(self, cleaned: dict) -> Entitlement:
                return Entitlement(user=cleaned.get("user"), group=cleaned.get("group"))

        return FourEyesForm

    def has_delete_permission(self, request: HttpRequest, obj: Entitlement | None = None) -> bool:
        # Revoke instead (kept on record, expired); only entitlements-as-code removes what it owns.
        return False

    @admin.display(description="actions")
    def actions_label(self, obj: Entitlement) -> str:
        return ", ".join(obj.actions)

    @admin.display(description="status")
    def status_label(self, obj: Entitlement) -> str:
        now = timezone.now()
        if obj.expires_at and obj.expires_at <= now:
            return "expired"
        if obj.starts_at and obj.starts_at > now:
            return "not yet valid"
        return "active"

    @admin.action(description="Revoke selected grants now (they stay on record, expired)")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        now = timezone.now()
        revoked = 0
        with transaction.atomic():
            for grant in queryset.filter(
                Q(expires_at__isnull=True) | Q(expires_at__gt=now)
            ).select_for_update(of=("self",)):
                before = snapshot(grant)
                grant.expires_at = now
                grant.save(update_fields=["expires_at"])
                audit.record(
                    request.user,
                    "entitlements.grant.revoke",
                    target=grant,
                    before=before,
                    after=snapshot(grant),
                )
                revoked += 1
        messages.success(request, f"Revoked {revoked} grant(s).")


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PolicyModelAdmin, DjangoGroupAdmin):
    """Directory groups as mirrored at sign-in; create one here to grant to it before anyone signs in.

    A group is its directory name, so it can be neither renamed (renaming would hand its members'
    grants to another group, round the four-eyes rule) nor deleted (which would delete its grants).
    """

    list_display = ("name",)
    fields = ("name",)

    def get_readonly_fields(self, request: HttpRequest, obj: Group | None = None) -> tuple[str, ...]:
        return ("name",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False
