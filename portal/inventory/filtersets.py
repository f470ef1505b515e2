import django_filters
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from portal.inventory.models import Device, Tenant


def visible_tenants(request: HttpRequest | None) -> QuerySet[Tenant]:
    if request is None:
        return Tenant.objects.none()
    return Tenant.objects.restrict(request.user, "view")


class DeviceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    tenant = django_filters.ModelChoiceFilter(queryset=visible_tenants, empty_label="All tenants")
    status = django_filters.ChoiceFilter(choices=Device.Status.choices, empty_label="Any status")

    class Meta:
        model = Device
        fields = ["q", "tenant", "status"]

    def search(self, queryset: QuerySet[Device], name: str, value: str) -> QuerySet[Device]:
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(serial__icontains=value) | Q(name__icontains=value) | Q(site__icontains=value)
        )
