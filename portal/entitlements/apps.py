from django.apps import AppConfig


class EntitlementsConfig(AppConfig):
    name = "portal.entitlements"
    label = "entitlements"
