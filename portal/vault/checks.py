"""Deploy check: the Vault connection is encrypted unless Vault (or a Vault Agent) is on loopback."""

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks


def is_loopback_host(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: traffic that never leaves the machine (or the pod)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@checks.register(checks.Tags.security, deploy=True)
def check_vault_transport(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    parts = urlsplit(settings.VAULT_ADDR)
    if parts.scheme == "http" and not is_loopback_host(parts.hostname or ""):
        return [
            checks.Warning(
                "VAULT_ADDR uses plain http:// to a host that is not loopback: AppRole logins, "
                "tokens and every revealed secret would cross the network unencrypted.",
                hint="Use https:// (with VAULT_CACERT for a private CA), or a Vault Agent on 127.0.0.1.",
                id="keydesk.W001",
            )
        ]
    return []
