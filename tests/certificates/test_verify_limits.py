"""The public verification page cannot be walked: numbers carry a random part,
and each client address may verify VERIFY_RATE numbers."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from certificates.models import DocumentType, IssuedCertificate
from certificates.services import (
    _check_digits,
    certificate_issue,
    certificate_request_create,
    number_is_well_formed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _issue(contract):
    request = certificate_request_create(
        document_type=DocumentType.COVERAGE, contract=contract, requested_by=None, deliveries=[]
    )
    return certificate_issue(request=request)


def _verify(client, number, address="192.0.2.1", **extra):
    return client.get(reverse("certificates:verify", args=[number]), REMOTE_ADDR=address, **extra)


def test_numbers_carry_eight_random_digits_and_the_next_one_cannot_be_derived(gfb_contract):
    first, second = _issue(gfb_contract), _issue(gfb_contract)
    a, b = first.number.split("-"), second.number.split("-")
    assert len(a) == 5 and len(a[3]) == 8 and number_is_well_formed(first.number)
    assert int(b[2]) == int(a[2]) + 1  # the sequence still orders them for the mailroom…
    assert a[3] != b[3]  # …but the next number is not the last one plus one
    walked = f"GR-{a[1]}-{int(a[2]) + 1:06d}-{a[3]}"
    walked += f"-{_check_digits(int(a[1]), int(a[2]) + 1, a[3]):02d}"
    assert walked != second.number


def test_walking_the_sequence_finds_nothing(client, gfb_contract):
    issued = _issue(gfb_contract)
    _prefix, year, sequence, _random, _check = issued.number.split("-")
    for step in (-1, 1, 2):
        seq = int(sequence) + step
        old_style = f"GR-{year}-{seq:06d}-{_check_digits(int(year), seq):02d}"
        response = _verify(client, old_style)
        assert response.status_code == 404
        assert 'data-state="unknown"' in response.content.decode()


def test_numbers_issued_before_the_random_part_keep_verifying(client, gfb_contract):
    issued = _issue(gfb_contract)
    old = f"GR-2025-000042-{_check_digits(2025, 42):02d}"
    IssuedCertificate.objects.filter(pk=issued.pk).update(number=old)
    response = _verify(client, old)
    assert response.status_code == 200
    assert 'data-state="valid"' in response.content.decode()


def test_the_qr_code_of_a_new_number_opens_its_page(client, gfb_contract):
    from certificates.rendering import verification_url

    issued = _issue(gfb_contract)
    path = verification_url(issued.number).removeprefix("https://gratisz.example.hu")
    response = client.get(path, REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 200
    assert 'data-state="valid"' in response.content.decode()


def test_an_address_over_its_limit_gets_429_with_retry_after_in_hungarian(
    client, gfb_contract, settings
):
    settings.VERIFY_RATE = "5/min"
    issued = _issue(gfb_contract)
    for _n in range(5):
        assert _verify(client, issued.number).status_code == 200
    response = _verify(client, issued.number)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    page = response.content.decode()
    assert "Túl sok ellenőrzés" in page
    assert 'data-state="valid"' not in page  # nothing is looked up for a refused request
    assert "Bizonylatszám</dt>" not in page
    # Another address is not affected.
    assert _verify(client, issued.number, address="192.0.2.2").status_code == 200


def test_the_limit_counts_unknown_and_malformed_numbers_too(client, settings):
    settings.VERIFY_RATE = "3/min"
    for number in ("GR-2026-1", "GR-2026-000001-12345678-00", "x"):
        assert _verify(client, number).status_code == 404
    assert _verify(client, "GR-2026-000002-00").status_code == 429


def test_the_refusal_speaks_english_when_chosen(client, settings):
    settings.VERIFY_RATE = "1/min"
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    _verify(client, "x")
    response = _verify(client, "x")
    assert response.status_code == 429
    assert "Too many verifications" in response.content.decode()


def test_behind_the_proxy_the_limit_is_per_client_not_per_proxy(client, settings):
    settings.VERIFY_RATE = "2/min"
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"address": "10.0.0.5"}
    for _n in range(2):
        _verify(client, "x", HTTP_X_FORWARDED_FOR="203.0.113.1", **proxy)
    assert _verify(client, "x", HTTP_X_FORWARDED_FOR="203.0.113.1", **proxy).status_code == 429
    assert _verify(client, "x", HTTP_X_FORWARDED_FOR="203.0.113.2", **proxy).status_code == 404
