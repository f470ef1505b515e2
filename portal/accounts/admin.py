from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from portal.accounts.models import User
from portal.web.admin_site import PolicyModelAdmin


@admin.register(User)
class UserAdmin(PolicyModelAdmin, DjangoUserAdmin):
    """Users are mirrored from the directory; the admin is for looking, and for deactivating."""

    list_display = ("username", "display_name", "email", "is_staff", "is_active", "last_login")
    fieldsets = DjangoUserAdmin.fieldsets + (("Directory", {"fields": ("display_name",)}),)
