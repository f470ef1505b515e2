from django.urls import path

from portal.audit import views

app_name = "audit"

urlpatterns = [
    path("audit/", views.event_list, name="event_list"),
    path("audit/<int:pk>/", views.event_detail, name="event_detail"),
    path("audit/export.csv", views.event_export_csv, name="event_export_csv"),
    path("audit/export.jsonl", views.event_export_jsonl, name="event_export_jsonl"),
]
