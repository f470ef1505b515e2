import django_tables2 as tables

from portal.inventory.models import Credential, Device
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
        template_name = "inventory/_device_table.html"

    def __init__(self, data, *args, **kwargs):
        # One join for the tenant and one prefetch for tags, whatever the page size.
        super().__init__(data.select_related("tenant").prefetch_related("tags"), *args, **kwargs)


class DueCredentialTable(BaseTable):
    """Credentials past their maximum age (see inventory.models.due_for_rotation)."""

    device = tables.Column(
        accessor="device__serial",
        verbose_name="Device",
        linkify=lambda record: record.device.get_absolute_url(),
    )
    name = tables.Column(verbose_name="Credential")
    tenant = tables.Column(accessor="device__tenant__name", verbose_name="Tenant")
    last_changed_at = tables.DateTimeColumn(
        verbose_name="Last changed", format="Y-m-d H:i", default="never seen"
    )
    max_age = tables.Column(verbose_name="Max age (days)")

    class Meta(BaseTable.Meta):
        model = Credential
        fields = ("device", "name", "tenant", "last_changed_at", "max_age")
        empty_text = "Nothing is due for rotation."
