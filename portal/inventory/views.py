from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_tables2 import RequestConfig

from portal import access
from portal.audit import services as audit
from portal.inventory.filtersets import DeviceFilterSet
from portal.inventory.models import Credential, Device, due_for_rotation
from portal.inventory.tables import DeviceTable, DueCredentialTable
from portal.vault import services as vault
from portal.web.htmx import is_htmx


@access.requires("view", Device)
def device_list(request: HttpRequest) -> HttpResponse:
    devices = Device.objects.restrict(request.user, "view")
    filterset = DeviceFilterSet(request.GET, devices, request=request)
    table = DeviceTable(filterset.qs, order_by=request.GET.get("sort") or "serial")
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    template = "inventory/device_list.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, {"table": table, "filter": filterset})


@access.requires("view", Device)
def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    device = access.get_for_user_or_404(request.user, "view", Device, pk=pk)
    credentials = list(device.credentials.select_related("device__tenant").order_by("name", "pk"))
    actions = access.permitted_actions(request.user, device)
    rows = [(credential, vault.credential_status(request.user, credential)) for credential in credentials]
    grants = list(access.covering_grants(request.user, "view", device))
    audit.record(request.user, "inventory.device.view", target=device)
    context = {
        "device": device,
        "credential_rows": rows,
        "actions": actions,
        "grants": grants,
        # Without a grant the user sees the device through a role (admin) or as a superuser.
        "access_summary": "You see this device's metadata through your admin role." if not grants else "",
    }
    return render(request, "inventory/device_detail.html", context)


@access.requires("view", Credential)
def credentials_due(request: HttpRequest) -> HttpResponse:
    visible = Credential.objects.restrict(request.user, "view").select_related("device__tenant")
    table = DueCredentialTable(
        due_for_rotation(visible), order_by=request.GET.get("sort") or "last_changed_at"
    )
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    template = "inventory/credentials_due.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, {"table": table})
