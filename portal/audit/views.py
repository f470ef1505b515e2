from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from portal import access
from portal.audit.filtersets import AuditEventFilterSet
from portal.audit.models import AuditEvent
from portal.audit.tables import AuditEventTable
from portal.web.htmx import is_htmx


@access.requires("audit", AuditEvent)
def event_list(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.restrict(request.user, "audit")
    filterset = AuditEventFilterSet(request.GET, events, request=request)
    table = AuditEventTable(filterset.qs, order_by=request.GET.get("sort") or "-time")
    # LazyPaginator: no COUNT(*) over the whole trail for each page.
    RequestConfig(request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(table)
    template = "audit/event_list.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, {"table": table, "filter": filterset})


@access.requires("audit", AuditEvent)
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = access.get_for_user_or_404(request.user, "audit", AuditEvent, pk=pk)
    return render(request, "audit/event_detail.html", {"event": event})
