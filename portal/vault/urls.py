from django.urls import path

from portal.vault import views

app_name = "vault"

urlpatterns = [
    path("credentials/<int:pk>/reveal/", views.credential_reveal, name="credential_reveal"),
    path("credentials/<int:pk>/rotate/", views.credential_rotate, name="credential_rotate"),
    path("credentials/<int:pk>/update/", views.credential_update, name="credential_update"),
    path("credentials/<int:pk>/history/", views.credential_history, name="credential_history"),
]
