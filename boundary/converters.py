"""URL converters: path parts become values through the same rules as every other input.

``<id:pk>`` replaces Django's ``<int:pk>``: ASCII digits only, at most 18 of them, so any value
it lets through fits a 64-bit column (a longer one is simply not a URL of ours: 404, not a 500
from SQLite's OverflowError). ``<grid:grid>`` is a 9-digit GRID. ``<ref:number>`` replaces
``<str:…>`` for a record's number or a token: at most 100 characters and no control character
(PostgreSQL refuses a NUL in a query: a 404 instead of its DataError).
"""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


class GridConverter:
    regex = "[0-9]{9}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class RefConverter:
    regex = "[^/\x00-\x1f\x7f]{1,100}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


# Registered on import: the root URLconf imports this module before any app's URLconf.
register_converter(IdConverter, "id")
register_converter(GridConverter, "grid")
register_converter(RefConverter, "ref")
