"""Deploy check: production never signs sessions with the development SECRET_KEY."""

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key_is_not_the_development_key(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    # The development key is in the source: anyone could forge sessions and signed values with it.
    if settings.SECRET_KEY == settings.KEYDESK_DEV_SECRET_KEY:
        return [
            checks.Error(
                "SECRET_KEY is Keydesk's public development key.",
                hint="Set SECRET_KEY (or SECRET_KEY_FILE) to a long random value, and do not set KEYDESK_DEV.",
                id="keydesk.E002",
            )
        ]
    return []
