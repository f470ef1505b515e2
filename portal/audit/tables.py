import django_tables2 as tables

from portal.audit.models import AuditEvent
from portal.web.tables import BaseTable


class AuditEventTable(BaseTable):
    time = tables.DateTimeColumn(format="Y-m-d H:i:s", linkify=("audit:event_detail", {"pk": tables.A("pk")}))
    actor_name = tables.Column(verbose_name="Actor")
    device_name = tables.Column(verbose_name="Device")
    credential_name = tables.Column(verbose_name="Credential")
    version = tables.Column(empty_values=(), orderable=False, verbose_name="Version")

    class Meta(BaseTable.Meta):
        model = AuditEvent
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

    def render_version(self, record: AuditEvent) -> str:
        before, after = record.version_before, record.version_after
        if before is None and after is None:
            return "—"
        if before == after or before is None:
            return f"v{after}"
        if after is None:
            return f"v{before} →"
        return f"v{before} → v{after}"
