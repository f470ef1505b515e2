from django.contrib.admin.apps import AdminConfig


class KeydeskAdminConfig(AdminConfig):
    """django.contrib.admin with Keydesk's policy-checked site as the default site."""

    default_site = "portal.web.admin_site.KeydeskAdminSite"
