from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class HungarianFirstLocaleMiddleware(LocaleMiddleware):
    """Show every screen in Hungarian unless the user chose English with the language switch.

    The browser's Accept-Language does not count on screens: an agent's English browser must not
    turn the desk English by accident. The API, whose clients are programs, follows
    Accept-Language.
    """

    def process_request(self, request):
        if request.path_info.startswith("/api/"):
            return super().process_request(request)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
