import django_filters

from portal.audit.models import AuditEvent, Outcome


class AuditEventFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact", label="Actor")
    device = django_filters.CharFilter(field_name="device_name", lookup_expr="iexact", label="Device serial")
    action = django_filters.CharFilter(field_name="action", lookup_expr="startswith", label="Action")
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices, empty_label="Any outcome")

    class Meta:
        model = AuditEvent
        fields = ["actor", "device", "action", "outcome"]
