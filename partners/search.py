"""Search keys that forgive what agents type: accents, case, separators.

Two database functions carry the same rules on both vendors, so the queries are the same:

- ``gratisz_fold(text)``: accents off, lower case, every run of other characters one space
  ("Kovács-Nagy Éva" → "kovacs nagy eva");
- ``gratisz_compact(text)``: the folded text without its spaces, for numbers and plates
  ("GFB-DEMO-0001" → "gfbdemo0001", "AB CD-123" → "abcd123").

On PostgreSQL they are SQL functions over the ``unaccent`` extension, declared immutable so
that trigram (``pg_trgm``) GIN indexes can be built on them (migration
``partners.0006_search_trigram``); on SQLite they are these Python functions, registered on
every new connection (``register_sqlite_functions``).
"""

import re
import unicodedata

from django.db.models import CharField, Func

_OTHER = re.compile(r"[^a-z0-9]+")


def fold(text: str | None) -> str:
    """Return ``text`` without accents, in lower case, words separated by one space."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _OTHER.sub(" ", plain.lower()).strip()


def compact(text: str | None) -> str:
    """Return the folded ``text`` without separators (for numbers, plates)."""
    return fold(text).replace(" ", "")


class Fold(Func):
    function = "gratisz_fold"
    arity = 1
    output_field = CharField()


class Compact(Func):
    function = "gratisz_compact"
    arity = 1
    output_field = CharField()


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """Give a new SQLite connection the two search functions (PostgreSQL has them in SQL)."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("gratisz_fold", 1, fold, deterministic=True)
    connection.connection.create_function("gratisz_compact", 1, compact, deterministic=True)


# PostgreSQL: the same rules in SQL. unaccent() is only STABLE (its dictionary could change);
# naming the dictionary makes the wrapper safe to declare IMMUTABLE, which an index needs.
PG_FUNCTIONS = r"""
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE OR REPLACE FUNCTION gratisz_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
$$ SELECT btrim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, $1)),
                               '[^a-z0-9]+', ' ', 'g')) $$;
CREATE OR REPLACE FUNCTION gratisz_compact(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
$$ SELECT replace(gratisz_fold($1), ' ', '') $$;
"""

# (index name, table, expression): each search key gets a trigram index, so that "contains"
# stays fast in a firm with a large portfolio.
PG_INDEXES = [
    ("policyholder_name_fold_trgm", "partners_policyholder", "gratisz_fold(name)"),
    ("contract_number_compact_trgm", "partners_contract", "gratisz_compact(policy_number)"),
    ("vehicle_plate_compact_trgm", "partners_vehicle", "gratisz_compact(plate)"),
    ("vehicle_chassis_compact_trgm", "partners_vehicle", "gratisz_compact(chassis_number)"),
    ("offer_number_compact_trgm", "partners_offer", "gratisz_compact(offer_number)"),
]
