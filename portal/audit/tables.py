import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from portal.audit.models import AuditEvent
from portal.web.tables import BaseTable


def _timeline(field: str):  # noqa: ANN202
    def link(value: str) -> str:
        return f"{reverse('audit:event_list')}?{urlencode({field: value})}"

    return link


class AuditEventTable(BaseTable):
    """The trail, one page at a time (keyset pages, see audit.pagination). Sortable columns are
    the ones with an index; the rest are not."""

    time = tables.DateTimeColumn(format="Y-m-d H:i:s", linkify=("audit:event_detail", {"pk": tables.A("pk")}))
    actor_name = tables.Column(verbose_name="Actor")
    tenant_name = tables.Column(verbose_name="Tenant")
    device_name = tables.Column(verbose_name="Device")
    credential_name = tables.Column(verbose_name="Credential", orderable=False)
    version = tables.Column(empty_values=(), orderable=False, verbose_name="Version")
    ticket = tables.Column(orderable=False)
    source_ip = tables.Column(orderable=False, verbose_name="From")
    message = tables.Column(orderable=False)

    class Meta(BaseTable.Meta):
        model = AuditEvent
        template_name = "audit/_event_table.html"
        fields = (
            "time",
            "actor_name",
            "action",
            "outcome",
            "tenant_name",
            "device_name",
            "credential_name",
            "version",
            "ticket",
            "source_ip",
            "message",
        )
        empty_text = "No audit events match."

    def render_actor_name(self, value: str) -> str:
        return format_html(
            '<a href="{}" title="Timeline of {}">{}</a>', _timeline("actor")(value), value, value
        )

    def render_device_name(self, value: str) -> str:
        return format_html(
            '<a href="{}" title="Timeline of {}">{}</a>', _timeline("device")(value), value, value
        )

    def render_version(self, record: AuditEvent) -> str:
        before, after = record.version_before, record.version_after
        if before is None and after is None:
            return "—"
        if before == after or before is None:
            return f"v{after}"
        if after is None:
            return f"v{before} →"
        return f"v{before} → v{after}"
