"""Deploy checks: production never signs sessions with the development SECRET_KEY, and behind a
proxy the client's address is not the proxy's."""

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


@checks.register(checks.Tags.security, deploy=True)
def check_client_addresses_behind_a_proxy(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    # Behind a proxy with no trusted X-Forwarded-For entry, every client has the proxy's address:
    # the audit trail cannot tell them apart, and one address's sign-in lockout locks out everyone.
    if settings.SECURE_PROXY_SSL_HEADER and settings.KEYDESK_TRUSTED_PROXY_COUNT == 0:
        return [
            checks.Warning(
                "KEYDESK_BEHIND_PROXY is set but KEYDESK_TRUSTED_PROXY_COUNT is 0: every client will "
                "have the proxy's address.",
                hint="Set KEYDESK_TRUSTED_PROXY_COUNT to the number of proxies in front of the portal.",
                id="keydesk.W002",
            )
        ]
    return []
