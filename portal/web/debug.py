"""The exception reporter filter: what Django's debug page and error reports may show of settings."""

import re

from django.views.debug import SafeExceptionReporterFilter


class KeydeskExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter hides settings whose names contain API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE;
    ours also hides the Vault AppRole credentials (VAULT_ROLE_ID, VAULT_NAMESPACE_APPROLES, whose
    values are {namespace: (role_id, secret_id)}) and anything named like a credential or a database
    URL (which carries its password)."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|APPROLE|ROLE_ID|CREDENTIAL|DATABASE_URL|DSN",
        flags=re.IGNORECASE,
    )
