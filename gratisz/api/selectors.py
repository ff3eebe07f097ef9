"""Reads of the API, scoped to the client that asks."""

from django.db.models import QuerySet

from certificates.models import CertificateRequest, Delivery
from claims.models import Claim
from partners.models import Contract, Invoice

from .models import ApiClient


def client_source(*, client: ApiClient) -> str:
    """Return the reference that marks a certificate request as made by ``client``."""
    return f"api:{client.pk}"


def certificate_requests_of(*, client: ApiClient) -> QuerySet[CertificateRequest]:
    """Return the certificate requests that ``client`` made (no one else's: list and detail use
    this one function)."""
    return (
        CertificateRequest.objects.filter(source=client_source(client=client))
        .select_related("contract", "certificate")
        .prefetch_related("deliveries")
    )


def contract_by_policy_number(*, policy_number: str, client: ApiClient) -> Contract | None:
    """Return the contract, or None also when ``client`` is bound to firms and this contract is
    none of theirs (the answer does not tell which)."""
    contracts = Contract.objects.select_related("policyholder", "firm").filter(
        policy_number=policy_number
    )
    if client.firms.exists():
        contracts = contracts.filter(firm__in=client.firms.all())
    return contracts.first()


def invoice_of(*, contract: Contract, number: str) -> Invoice | None:
    return Invoice.objects.filter(contract=contract, number=number).first()


def certificate_delivery(*, delivery_id: int) -> Delivery:
    return Delivery.objects.select_related(
        "request", "request__contract", "request__certificate"
    ).get(pk=delivery_id)


def claim_with_contract(*, claim_id: int) -> Claim:
    return Claim.objects.select_related("contract", "vehicle").get(pk=claim_id)
