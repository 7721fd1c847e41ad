from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class SwedishByDefaultLocaleMiddleware(LocaleMiddleware):
    """Swedish unless the user picked another language with the language switcher.

    Django's own middleware follows the browser's Accept-Language, which would show many
    municipal workstations (installed in English) an English Spink.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
