import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gratisz.settings")
application = get_wsgi_application()

# Load the URLconf, and with it every view, and what else the first requests would load, now
# rather than on a process's first request (see gratisz.warmup): under ``gunicorn --preload``
# it is done once, before the workers fork, so the first agents after a start do not wait.
from gratisz.warmup import warm_up  # noqa: E402

warm_up()
