import datetime

import django_filters
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils import timezone

from portal.audit.models import AuditEvent, Outcome

# The trail cannot hold events from before Keydesk or from the far future; beyond these a date
# would also overflow the day arithmetic.
SENSIBLE_DATES = [
    MinValueValidator(datetime.date(2000, 1, 1), "Pick a date from the year 2000 on."),
    MaxValueValidator(datetime.date(2999, 12, 31), "Pick a date before the year 3000."),
]


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditEventFilterSet(django_filters.FilterSet):
    """Every filter maps to an index: (field, sequence) pairs, time, and a trigram index for q."""

    q = django_filters.CharFilter(method="search", label="Search", max_length=100)
    actor = django_filters.CharFilter(
        field_name="actor_name", lookup_expr="iexact", label="Actor", max_length=200
    )
    tenant = django_filters.CharFilter(
        field_name="tenant_name", lookup_expr="exact", label="Tenant", max_length=200
    )
    device = django_filters.CharFilter(
        field_name="device_name", lookup_expr="exact", label="Device", max_length=200
    )
    credential = django_filters.CharFilter(
        field_name="credential_name", lookup_expr="exact", label="Credential", max_length=200
    )
    action = django_filters.CharFilter(
        method="action_is",
        label="Action",
        max_length=100,
        help_text="e.g. vault.secret.read, or vault.* for all of vault",
    )
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices, empty_label="Any outcome")
    since = django_filters.DateFilter(
        validators=SENSIBLE_DATES,
        method="from_day",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        validators=SENSIBLE_DATES,
        method="to_day",
        label="Until",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["q", "actor", "tenant", "device", "credential", "action", "outcome", "since", "until"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        words = value.lower().split()
        for word in words[:5]:
            queryset = queryset.filter(search_text__contains=word)
        return queryset

    def action_is(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # An exact action walks the (action, sequence) index in order; a prefix needs a range scan.
        if value.endswith(("*", ".")):
            return queryset.filter(action__startswith=value.rstrip("*"))
        return queryset.filter(action=value)

    def from_day(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        return queryset.filter(time__gte=_start_of(value))

    def to_day(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        # Inclusive of the whole "until" day.
        return queryset.filter(time__lt=_start_of(value + datetime.timedelta(days=1)))

    def filters_in_use(self) -> dict[str, str]:
        """The filters the auditor set, for the export's own audit event."""
        return {
            name: str(value)
            for name, value in (self.form.cleaned_data or {}).items()
            if value not in (None, "")
        }
