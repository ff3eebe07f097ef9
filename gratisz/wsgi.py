import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gratisz.settings")
application = get_wsgi_application()

# Import the URLconf, and with it every view, now rather than on a process's first request
# (about half a second): under ``gunicorn --preload`` (make serve) it is done once, before the
# workers fork, so the first agents after a start or restart do not wait for it.
import_module(settings.ROOT_URLCONF)
