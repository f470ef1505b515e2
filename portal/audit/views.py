import json

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from portal import access
from portal.audit import export, pagination
from portal.audit import services as audit
from portal.audit.filtersets import AuditEventFilterSet
from portal.audit.models import AuditEvent
from portal.audit.tables import AuditEventTable
from portal.web.htmx import is_htmx

PER_PAGE = 50


@access.requires("audit", AuditEvent)
def event_list(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.restrict(request.user, "audit")
    filterset = AuditEventFilterSet(request.GET, events, request=request)
    sort = (
        request.GET.get("sort")
        if request.GET.get("sort") in pagination.ORDERINGS
        else pagination.DEFAULT_SORT
    )
    notice = ""
    try:
        page = pagination.page(filterset.qs, sort, request.GET.get("after"), PER_PAGE)
    except pagination.BadCursor as exc:
        notice = str(exc)
        page = pagination.page(filterset.qs, sort, None, PER_PAGE)
    # No request= here: django-tables2 would add its own OFFSET paging; pages are keyset pages.
    table = AuditEventTable(page.rows, order_by=sort)
    context = {
        "table": table,
        "filter": filterset,
        "page": page,
        "notice": notice,
        "timeline": _timeline_title(filterset),
    }
    template = "audit/event_list.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, context)


def _timeline_title(filterset: AuditEventFilterSet) -> str:
    used = filterset.filters_in_use() if filterset.is_valid() else {}
    if set(used) == {"device"}:
        return f"Timeline of device {used['device']}"
    if set(used) == {"actor"}:
        return f"Timeline of {used['actor']}"
    return ""


@access.requires("audit", AuditEvent)
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = access.get_for_user_or_404(request.user, "audit", AuditEvent, pk=pk)
    as_json = {
        name: json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
        for name, value in (("before", event.before), ("after", event.after), ("detail", event.detail))
        if value
    }
    return render(request, "audit/event_detail.html", {"event": event, "as_json": as_json})


@access.requires("audit", AuditEvent)
def event_export_csv(request: HttpRequest) -> HttpResponse:
    return _export(request, "csv")


@access.requires("audit", AuditEvent)
def event_export_jsonl(request: HttpRequest) -> HttpResponse:
    return _export(request, "jsonl")


def _export(request: HttpRequest, fmt: str) -> HttpResponse:
    events = AuditEvent.objects.restrict(request.user, "audit")
    filterset = AuditEventFilterSet(request.GET, events, request=request)
    if not filterset.is_valid():
        return render(
            request, "audit/event_list.html#results", {"filter": filterset, "table": None}, status=400
        )
    # On the record (and committed) before the first row leaves.
    audit.record(request.user, "audit.export", detail={"format": fmt, "filters": filterset.filters_in_use()})
    rows = filterset.qs.order_by("sequence")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        response = StreamingHttpResponse(export.csv_lines(rows), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(export.json_lines(rows), content_type="application/x-ndjson")
    response["Content-Disposition"] = (
        f'attachment; filename="keydesk-audit-{stamp}.{"csv" if fmt == "csv" else "jsonl"}"'
    )
    response["Cache-Control"] = "no-store"
    return response
