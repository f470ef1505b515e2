from django.urls import path

from portal.inventory import views

app_name = "inventory"

urlpatterns = [
    path("devices/", views.device_list, name="device_list"),
    path("devices/<int:pk>/", views.device_detail, name="device_detail"),
    path("credentials/due/", views.credentials_due, name="credentials_due"),
]
