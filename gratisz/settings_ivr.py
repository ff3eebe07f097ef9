"""Settings of the telephony webhooks' own server (``make serve``'s ``IVR_PORT``, run as
``gratisz.ivr_wsgi``): the site's settings, with only the middleware a webhook needs.

A webhook carries no cookie, session, user or second factor and no CSRF token (the provider's
signature stands for them, ``calls.ivr.views.telephony_webhook``), and it answers TwiML, not a
page. The site's session, authentication, OTP, messages, lockout (axes), locale and page-header
middleware had nothing to do there, and cost 1.2 to 1.6 ms of CPU a webhook of 5 to 15 (measured
in-process, a call's seven webhooks against the load test's database). This server answers the
webhooks and the health checks only: any other path is the house's 404
(``WebhooksOnlyMiddleware``), so that the desk, the admin and the API, which need the site's
middleware, are never served without it.
"""

from .settings import *  # noqa: F403

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gratisz.middleware.WebhooksOnlyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "gratisz.logs.TicketContextMiddleware",
]
