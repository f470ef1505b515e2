import django_tables2 as tables

from portal.inventory.models import Device
from portal.web.tables import BaseTable


class DeviceTable(BaseTable):
    serial = tables.Column(linkify=True)
    tenant = tables.Column(accessor="tenant__name", verbose_name="Tenant")
    tags = tables.ManyToManyColumn(orderable=False, transform=lambda tag: tag.name)

    class Meta(BaseTable.Meta):
        model = Device
        fields = ("serial", "name", "model_name", "tenant", "site", "status", "tags")
        sequence = ("serial", "name", "model_name", "tenant", "site", "status", "tags")
        empty_text = "No devices match, or none are in your entitlements."

    def __init__(self, data, *args, **kwargs):
        # One join for the tenant and one prefetch for tags, whatever the page size.
        super().__init__(data.select_related("tenant").prefetch_related("tags"), *args, **kwargs)
