from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """Each role's home page: what waits for the user, with counts and links. It reads every
    app below it and owns no data, so it stands at the top of the ladder."""

    name = "home"
    verbose_name = _("Home")
