import gettext
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
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


def hungarian_catalog_problem() -> str:
    """Return why the compiled Hungarian catalog cannot be used, or "" when it can.

    Without it every screen, e-mail and document comes out in English, and an issued document's
    hash freezes the English labels; so the process refuses to start instead (see ``ready()``).
    """
    for folder in settings.LOCALE_PATHS:
        path = Path(folder) / "hu" / "LC_MESSAGES" / "django.mo"
        if not path.exists():
            continue
        try:
            with path.open("rb") as f:
                catalog = gettext.GNUTranslations(f)
        except (OSError, ValueError) as error:
            return f"{path} cannot be read: {error}"
        if catalog.info().get("language") != "hu" or len(catalog._catalog) < 2:  # type: ignore[attr-defined]
            return f"{path} is not a Hungarian catalog with messages."
        return ""
    return "The compiled Hungarian catalog (locale/hu/LC_MESSAGES/django.mo) is missing."


def require_hungarian_catalog() -> None:
    """Raise ``ImproperlyConfigured`` unless the compiled Hungarian catalog is there."""
    problem = hungarian_catalog_problem()
    if problem:
        raise ImproperlyConfigured(f"{problem} Compile it with `make messages`.")
