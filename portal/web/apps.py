from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "portal.web"
    label = "web"

    def ready(self) -> None:
        from portal.web import checks  # noqa: F401 - registers the deploy check
