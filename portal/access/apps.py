from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "portal.access"
    label = "access"

    def ready(self) -> None:
        from portal.access import checks  # noqa: F401 - registers the system check
