"""No input gives a server error: walk EVERY URL pattern of the project as every role.

For each role (anonymous, agent, supervisor, referent, partner manager, administrator) and each
URL pattern the resolver knows (the admin's included), Hypothesis sends GET and POST requests
with generated values in the path (matching the pattern's own regex, or the ids of real rows),
the query string and the form fields (the names the project's forms and views read, and any),
and the answer must never be a 5xx. The values lean on the classes of fault seen before:
non-ASCII digits, the ends of the calendar, integers beyond 64 bits, NUL characters, huge text.
The IVR webhooks are signed like the provider signs them, the API gets a valid token, so the
requests reach the code behind the checks.

Each request runs in a savepoint that is rolled back and the client's cookies are put back, so
one example's POST (a logout, a closed call) does not change what the next one meets.
Runtime is bounded by WALK_EXAMPLES (examples per pattern and role; the admin's generated
model pages get one).
"""

import datetime
import os
import re
import time
import traceback
from urllib.parse import quote, urlencode

import pytest
from django import forms
from django.conf import settings as django_settings
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from gratisz import demo
from gratisz.roles import Role
from tests.conftest import subclasses

pytestmark = [pytest.mark.django_db]

EXAMPLES = int(os.environ.get("WALK_EXAMPLES", "3"))
FORM = "application/x-www-form-urlencoded"


def leaf_patterns() -> list[tuple[str, URLPattern]]:
    """Every endpoint of the root URLconf as (full regex, pattern), includes resolved."""
    found = []

    def walk(resolver, prefix):
        for p in resolver.url_patterns:
            part = p.pattern.regex.pattern.removeprefix("^")
            if isinstance(p, URLResolver):
                walk(p, prefix + part)
            else:
                found.append((prefix + part, p))

    walk(get_resolver(), "")
    return found


PATTERNS = leaf_patterns()

# The odd values that made 500s before, and plausible ones so that forms get past "required".
ODD = [
    "",
    "0",
    "1",
    "-1",
    "²",
    "١٢٣",
    "１２３",
    "３１４１５９２６５",
    "³¹⁴",
    "314159265",
    "2718",
    "1414",
    "9" * 30,
    "18446744073709551616",
    "9223372036854775808",
    "-9223372036854775809",
    "1e400",
    "NaN",
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "2026-11-27",
    "2026-02-30",
    "２０２６-１１-２７",
    "2026-11-27T10:00:00+01:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "\x00",
    "a\x00b",
    "%00",
    "x" * 20_000,
    "GFB-DEMO-0001",
    "TK-2026-000001",
    "on",
    "true",
    "save",
    "draft",
    "submit",
    "' OR 1=1 --",
    "😀",
    "\ud7ff\ufffe",
]
RANGES = [
    "bytes=0-",
    "bytes=0-" + "9" * 5000,
    "bytes=" + "9" * 5000 + "-",
    "bytes=-" + "9" * 5000,
    "bytes=²-³",
    "bytes=１-２",
    "bytes=5-1",
    "bytes=0-1,2-3",
]
values = st.one_of(st.sampled_from(ODD), st.text(max_size=30), st.integers().map(str))


def field_names() -> list[str]:
    """The names the project's forms declare and its views read from GET/POST."""
    names: set[str] = set()
    for cls in subclasses(forms.BaseForm):
        if cls.__module__.split(".")[0] in {"calls", "partners", "certificates", "gratisz"}:
            names.update(getattr(cls, "base_fields", {}))
    root = django_settings.BASE_DIR
    pattern = re.compile(r"""(?:GET|POST|query_params|data)\.get\(\s*["'](\w+)["']""")
    for app in ("calls", "partners", "certificates", "gratisz", "claims"):
        for dirpath, _dirs, files in os.walk(root / app):
            for name in files:
                if name.endswith(".py"):
                    with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                        names.update(pattern.findall(f.read()))
    names.update(["q", "o", "p", "e", "_changelist_filters", "next", "page", "after", "days"])
    return sorted(names)


NAMES = field_names()
params = st.dictionaries(
    keys=st.one_of(st.sampled_from(NAMES), st.text(min_size=1, max_size=10)),
    values=values,
    max_size=8,
)


def known_values() -> dict[str, list[str]]:
    """Ids and numbers of real rows, by the URL keyword that names them."""
    from calls.desk.models import DeskRequest
    from calls.models import CallRecording, CallTicket
    from calls.review.models import ScoreCard
    from certificates.models import CertificateRequest, Delivery, IssuedCertificate, PrintBatch
    from claims.models import Claim
    from partners.models import Contract, PartnerFirm, PartnerManager

    def ids(model, field="pk", n=4):
        return [str(v) for v in model.objects.order_by("pk").values_list(field, flat=True)[:n]]

    pks = ids(Delivery) + ids(PrintBatch) + ids(CertificateRequest)
    return {
        "ticket_id": ids(CallTicket, n=6),
        "recording_id": ids(CallRecording),
        "card_id": ids(ScoreCard),
        "request_id": ids(DeskRequest),
        "pk": pks,
        "object_id": [*pks, "1", "99999999999999999999", "１２", "²"],
        "policy_number": ids(Contract, "policy_number"),
        "claim_number": ids(Claim, "claim_number"),
        "grid": ids(PartnerFirm, "grid"),
        "number": ids(IssuedCertificate, "number"),
        "manager_id": ids(PartnerManager),
    }


def path_strategy(regex: str, known: dict[str, list[str]]):
    """Paths matching ``regex``: generated by Hypothesis from the regex itself, or with the
    named groups filled with real ids (so the view's own code runs, not just its 404)."""
    generated = st.from_regex(re.compile("^" + regex), fullmatch=True)
    names = re.findall(r"\(\?P<(\w+)>", regex)
    if not names:
        return generated
    choices = {n: known.get(n) or [] for n in names}
    if not all(choices.values()):
        return generated

    def fill(picked):
        out = regex.removesuffix(r"\Z").removesuffix("$")
        for name, value in picked.items():
            out = re.sub(
                rf"\(\?P<{name}>(?:[^()]|\([^()]*\))*\)", lambda _m, v=value: v, out, count=1
            )
        return out.replace("\\", "")

    real = st.fixed_dictionaries({n: st.sampled_from(v) for n, v in choices.items()}).map(fill)
    return st.one_of(generated, real, real)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo's data (firms, portfolios, calls in every state, recordings, certificates),
    built once for the module in a transaction that is rolled back at its end."""
    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media")))
    with django_db_blocker.unblock(), media:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            demo.seed_demo(today=datetime.date(2026, 11, 27))
            yield known_values()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def as_role(role, make_user, login, client):
    if role is None:
        return client
    user = make_user(role)
    if role == Role.PARTNER_MANAGER:
        from partners.models import PartnerFirm, PartnerManager

        firm = PartnerFirm.objects.get(grid="314159265")
        PartnerManager.objects.create(user=user, firm=firm, is_leader=True)
    return login(user)


def api_token() -> str:
    from gratisz.api.models import Scope
    from gratisz.api.services import api_client_create

    _client, token = api_client_create(
        name="walker", scopes=[s.value for s in Scope], throttle_rate="100000/min"
    )
    return token


def walk_every_url(role, world, make_user, login, client):
    client.raise_request_exception = False
    client = as_role(role, make_user, login, client)
    token = api_token()
    signer = RequestValidator(django_settings.TELEPHONY_AUTH_TOKEN)
    failures = []
    timings = []

    for regex, _pattern in PATTERNS:
        generated_admin = regex.startswith("admin/") and regex.count("/") > 2
        examples = 1 if generated_admin else EXAMPLES

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            # No shrinking: every failing pattern is reported with the example that failed,
            # and a shrink would send hundreds more requests.
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(
            path=path_strategy(regex, world),
            method=st.sampled_from(["get", "post"]),
            query=params,
            form=params,
            with_token=st.booleans(),
            byte_range=st.one_of(st.none(), st.sampled_from(RANGES)),
        )
        def walk(path, method, query, form, with_token, byte_range):
            url = "/" + quote(path, safe="/")
            if query:
                url += "?" + urlencode(query)
            headers = {"HTTP_RANGE": byte_range} if byte_range else {}
            if url.startswith("/ivr/"):
                public = django_settings.PUBLIC_BASE_URL + url
                headers["HTTP_X_TWILIO_SIGNATURE"] = signer.compute_signature(public, form)
            if url.startswith("/api/") and with_token:
                headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
            cookies = client.cookies
            client.cookies = type(cookies)(cookies)
            try:
                with transaction.atomic():
                    if method == "get":
                        response = client.get(url, **headers)
                    elif url.startswith("/api/"):
                        response = client.post(
                            url, form, content_type="application/json", **headers
                        )
                    else:
                        response = client.post(url, urlencode(form), content_type=FORM, **headers)
                    transaction.set_rollback(True)
            finally:
                client.cookies = cookies
            if response.status_code >= 500:
                exc = getattr(response, "exc_info", None)
                trace = "".join(traceback.format_exception(*exc)) if exc else ""
                failures.append((response.status_code, method, url[:300], form, trace[-1500:]))
                raise AssertionError(f"{response.status_code} on {method.upper()} {url[:300]}")

        started = time.monotonic()
        if os.environ.get("WALK_TIMINGS"):
            print(regex, flush=True)
        try:
            walk()
        except AssertionError:
            pass  # collected in failures
        timings.append((time.monotonic() - started, regex))
    if os.environ.get("WALK_TIMINGS"):
        print(*sorted(timings, reverse=True)[:15], sep="\n")
    assert not failures, "\n\n".join(
        f"{status} {method.upper()} {url}\nform={form!r}\n{trace}"
        for status, method, url, form, trace in failures[:15]
    )


# One class per role: pytest-xdist (--dist loadscope) spreads the classes over its processes.
class TestAsAnonymous:
    def test_no_url_answers_a_server_error(self, world, make_user, login, client):
        walk_every_url(None, world, make_user, login, client)


class TestAsAgent:
    def test_no_url_answers_a_server_error(self, world, make_user, login, client):
        walk_every_url(Role.AGENT, world, make_user, login, client)


class TestAsSupervisor:
    def test_no_url_answers_a_server_error(self, world, make_user, login, client):
        walk_every_url(Role.SUPERVISOR, world, make_user, login, client)


class TestAsReferent:
    def test_no_url_answers_a_server_error(self, world, make_user, login, client):
        walk_every_url(Role.REFERENT, world, make_user, login, client)


class TestAsPartnerManager:
    def test_no_url_answers_a_server_error(self, world, make_user, login, client):
        walk_every_url(Role.PARTNER_MANAGER, world, make_user, login, client)


class TestAsAdministrator:
    def test_no_url_answers_a_server_error(self, world, make_user, login, client):
        walk_every_url(Role.ADMINISTRATOR, world, make_user, login, client)


def test_a_next_parameter_that_is_no_path_goes_home(make_user, login, client):
    """What the walk found first: ``next=382393008`` after the second factor was taken for a
    view name (NoReverseMatch, a 500)."""
    from django.urls import reverse
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import PASSWORD, current_token

    user = make_user(Role.AGENT)
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    device = TOTPDevice.objects.get(user=user)
    response = client.post(
        reverse("otp-verify") + "?next=382393008", {"token": current_token(device)}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
