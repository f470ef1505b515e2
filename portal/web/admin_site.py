"""The Django admin, answering to the one access policy and writing the audit trail."""

import copy
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model
from django.db.models.constants import LOOKUP_SEP
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.text import capfirst

from portal import access


class KeydeskAdminSite(admin.AdminSite):
    """Open to whoever the policy lets `manage` (admins) or `audit` (auditors, read-only on the
    trail); signs in through the portal's own login page."""

    site_header = "Keydesk administration"
    site_title = "Keydesk admin"
    index_title = "Tenants, devices, credentials and entitlements"

    def has_permission(self, request: HttpRequest) -> bool:
        from portal.audit.models import AuditEvent
        from portal.inventory.models import Device

        user = request.user
        return user.is_active and (
            access.may(user, "manage", Device) or access.may(user, "audit", AuditEvent)
        )

    def password_change(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # Passwords live in the directory; a local one would be a second way in.
        raise Http404("Passwords are managed in the directory.")

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.user.is_authenticated:
            # Signed in but neither admin nor auditor: say so (sending them to sign in again would loop).
            raise PermissionDenied("The admin pages are for Keydesk admins and auditors.")
        # One sign-in page for everyone: the portal's, which handles directory errors and audits.
        return redirect_to_login(request.GET.get("next", request.get_full_path()))


def snapshot(obj: Model) -> dict[str, Any]:
    """The fields of a row as JSON-friendly values, for before/after in the audit trail."""
    data = model_to_dict(obj)
    return {
        key: (sorted(str(item) for item in value) if isinstance(value, list) else value)
        for key, value in data.items()
    }


class AdminModelForm(forms.ModelForm):
    """A model form that shows model validation errors about fields it does not have (read-only
    on the change page, or left out of an inline) on the form as a whole, naming the field.

    Django raises ValueError ("has no field named …") for those, which the admin turns into a 500.
    """

    def add_error(self, field: str | None, error: Any) -> None:
        if not isinstance(error, ValidationError):
            error = ValidationError(error)
        if field is not None and field not in self.fields:
            error, field = ValidationError({field: error}), None
        if field is None and hasattr(error, "error_dict"):
            shown: dict[str, list] = {}
            for name, errors in error.error_dict.items():
                if name == NON_FIELD_ERRORS or name in self.fields:
                    shown.setdefault(name, []).extend(errors)
                else:
                    label = self._label_of(name)
                    shown.setdefault(NON_FIELD_ERRORS, []).extend(
                        ValidationError(f"{label}: {message}") for message in ValidationError(errors).messages
                    )
            error = ValidationError(shown)
        super().add_error(field, error)

    def _label_of(self, name: str) -> str:
        try:
            return capfirst(self._meta.model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            return name


def reaches_password(model: type[Model], lookup: str) -> bool:
    """True when a lookup (`password__startswith`, `user__password__regex`, `groups__user__password`…)
    ends on a user's password hash, from `model` through any chain of relations."""
    user_model = get_user_model()
    opts = model._meta
    for part in lookup.split(LOOKUP_SEP):
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            return False  # a transform or lookup name: the path of fields has ended
        if opts.model is user_model and field.name == "password":
            return True
        if not field.is_relation or field.related_model is None:
            return False
        opts = field.related_model._meta
    return False


class PasswordSafeLookups(admin.ModelAdmin):
    """Refuses list filters that reach a password hash (the admin answers 400), as Django's own
    UserAdmin does for the user list: filtering on a prefix would let an admin read hashes out."""

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        return not reaches_password(self.model, lookup) and super().lookup_allowed(lookup, value, request)


class PolicyModelAdmin(PasswordSafeLookups):
    """A ModelAdmin whose rights come from access.may(user, 'manage', Model) and whose changes are audited."""

    form = AdminModelForm

    # Fields that say where a secret lives in Vault: settable on creation, read-only afterwards.
    location_fields: tuple[str, ...] = ()

    def _may_manage(self, request: HttpRequest) -> bool:
        return access.may(request.user, "manage", self.model)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly + self.location_fields if obj is not None else readonly

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_manage(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_manage(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_manage(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_manage(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_manage(request)

    def _action_name(self, verb: str) -> str:
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}.{verb}"

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        # The "before" is taken from the database; the event is written once the many-to-many
        # fields are saved too (save_related), in the admin's transaction.
        form._audit_before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        from portal.audit import services as audit

        super().save_related(request, form, formsets, change)
        obj = form.instance
        audit.record(
            request.user,
            self._action_name("update" if change else "create"),
            target=obj,
            before=getattr(form, "_audit_before", None),
            after=snapshot(obj),
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        selected = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
        if any(not str(value).isdigit() for value in selected):
            return HttpResponseBadRequest("The selection is not valid. Reload the list and try again.")
        return super().changelist_view(request, extra_context)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        from portal.audit import services as audit

        before, ghost = snapshot(obj), copy.copy(obj)  # the copy keeps its pk for the record
        # Change first, audit last: every audited transaction takes the chain's lock at its end, so
        # two transactions never wait on each other's rows and the chain head in opposite orders.
        super().delete_model(request, obj)
        audit.record(request.user, self._action_name("delete"), target=ghost, before=before)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class PolicyTabularInline(admin.TabularInline):
    """An inline with the same rights as its model's PolicyModelAdmin."""

    form = AdminModelForm

    def _may_manage(self, request: HttpRequest) -> bool:
        return access.may(request.user, "manage", self.model)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_manage(request)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_manage(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_manage(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_manage(request)
