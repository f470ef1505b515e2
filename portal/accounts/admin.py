from django.contrib import admin
from django.http import HttpRequest

from portal.accounts import services
from portal.accounts.models import LoginLockout, User
from portal.web.admin_site import PolicyModelAdmin


@admin.register(User)
class UserAdmin(PolicyModelAdmin):
    """Directory accounts are mirrored at sign-in and managed in the directory, not here.

    No passwords can be set (a local password next to LDAP would let an admin sign in as anyone) and
    no accounts created; an admin can only deactivate an account in Keydesk.
    """

    list_display = (
        "username",
        "display_name",
        "email",
        "directory_dn",
        "is_staff",
        "is_active",
        "last_login",
    )
    list_filter = ("is_active", "is_staff", "groups")
    search_fields = ("username", "display_name", "email")
    fields = (
        "username",
        "display_name",
        "email",
        "directory_dn",
        "groups",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    )
    readonly_fields = (
        "username",
        "display_name",
        "email",
        "directory_dn",
        "groups",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Deleting would orphan the audit trail's actor links; deactivate instead.
        return False


@admin.register(LoginLockout)
class LoginLockoutAdmin(PolicyModelAdmin):
    """Failed sign-in counters and locks; "Unlock" lifts a lock before it runs out (audited)."""

    list_display = ("kind", "key", "failures", "window_started", "locked_until")
    list_filter = ("kind",)
    search_fields = ("key",)
    readonly_fields = ("kind", "key", "failures", "window_started", "locked_until")
    actions = ["unlock"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Unlock the selected names and addresses now")
    def unlock(self, request: HttpRequest, queryset) -> None:  # noqa: ANN001
        count = services.unlock(request.user, queryset)
        self.message_user(request, f"Unlocked {count}.")
