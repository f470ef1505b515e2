from django.contrib import admin
from django.urls import include, path

from portal.accounts import views as account_views
from portal.web import metrics
from portal.web import views as web_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("readyz", web_views.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/", include("portal.accounts.urls")),
    path("", include("portal.inventory.urls")),
    path("", include("portal.vault.urls")),
    path("", include("portal.audit.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "portal.web.views.bad_request"
handler403 = "portal.web.views.forbidden"
handler404 = "portal.web.views.not_found"
handler500 = "portal.web.views.server_error"
