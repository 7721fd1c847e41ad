from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = _("Provider register")

    def ready(self):
        from spink.accounts.saved_filters import register_list

        register_list("providers:unit-list")
