"""A URLconf for tests/gratisz/test_asgi.py: a page, and a long request that waits until the
test lets it finish."""

import threading

from django.http import HttpResponse
from django.urls import path

from boundary.lanes import long_request

release = threading.Event()


def page(request):
    return HttpResponse("page")


@long_request
def long(request):
    release.wait(10)
    return HttpResponse("long")


urlpatterns = [path("page/", page), path("long/", long)]
