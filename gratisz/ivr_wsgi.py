"""The WSGI application of the telephony webhooks' own server (``make serve``'s ``IVR_PORT``):
the site with ``gratisz.settings_ivr``, whatever ``DJANGO_SETTINGS_MODULE`` the environment
names for the rest of the stack."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "gratisz.settings_ivr"

from gratisz.wsgi import application  # noqa: E402, F401
