"""factory_boy factories for the domain model. Direkt codes: use ``set_direkt_code``."""

import datetime

import factory
from django.utils import timezone

from claims.models import Adjuster, Claim, ClaimPayment
from partners.models import (
    Contract,
    ContractVehicle,
    DirektCode,
    Invoice,
    PartnerFirm,
    Payment,
    Policyholder,
    Vehicle,
)
from partners.services import _direkt_code_set


class PartnerFirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerFirm

    grid = factory.Sequence(lambda n: f"{500000000 + n:09d}")
    name = factory.Sequence(lambda n: f"Teszt Alkusz {n} Kft.")
    kind = PartnerFirm.Kind.BROKER
    email = factory.Sequence(lambda n: f"iroda{n}@alkusz.example.hu")
    fax = "+36 1 555 0100"
    postal_code = "1051"
    city = "Budapest"
    address_line = "Október 6. utca 1."


class PolicyholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policyholder

    external_id = factory.Sequence(lambda n: f"PH{n:08d}")
    kind = Policyholder.Kind.PERSON
    name = factory.Sequence(lambda n: f"Kovács Őrs {n}")
    birth_date = datetime.date(1980, 5, 17)
    postal_code = "6720"
    city = "Szeged"
    address_line = "Kárász utca 5."
    email = factory.Sequence(lambda n: f"ugyfel{n}@example.hu")


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    external_id = factory.Sequence(lambda n: f"V{n:08d}")
    plate = factory.Sequence(lambda n: f"AA-BB-{n % 1000:03d}")
    chassis_number = factory.Sequence(lambda n: f"WVWZZZ1JZ{n:08d}")
    make = "Suzuki"
    model = "Vitara"
    category = Vehicle.Category.A


class ContractFactory(factory.django.DjangoModelFactory[Contract]):
    class Meta:
        model = Contract
        skip_postgeneration_save = True

    policy_number = factory.Sequence(lambda n: f"GFB-T{n:07d}")
    firm = factory.SubFactory(PartnerFirmFactory)
    policyholder = factory.SubFactory(PolicyholderFactory)
    product = Contract.Product.GFB
    status = Contract.Status.ACTIVE
    start_date = datetime.date(2024, 1, 1)
    annual_premium = 48_000
    payment_frequency = Contract.Frequency.QUARTERLY
    payment_method = Contract.PaymentMethod.BANK_TRANSFER
    bonus_malus_class = factory.LazyAttribute(lambda o: "B04" if o.product == "gfb" else "")

    @factory.post_generation
    def with_vehicle(self, create, extracted, **kwargs):
        if create and self.is_motor and extracted is not False:
            ContractVehicle.objects.create(
                contract=self, vehicle=VehicleFactory(), insured_from=self.start_date
            )


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    contract = factory.SubFactory(ContractFactory)
    number = factory.Sequence(lambda n: f"SZ-{n:08d}")
    issued_on = datetime.date(2024, 1, 1)
    due_on = datetime.date(2024, 1, 15)
    period_start = datetime.date(2024, 1, 1)
    period_end = datetime.date(2024, 3, 31)
    amount = 12_000


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    contract = factory.SubFactory(ContractFactory)
    external_id = factory.Sequence(lambda n: f"P{n:08d}")
    paid_on = datetime.date(2024, 1, 10)
    amount = 12_000
    method = Contract.PaymentMethod.BANK_TRANSFER


class AdjusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Adjuster

    external_id = factory.Sequence(lambda n: f"ADJ{n:04d}")
    name = factory.Sequence(lambda n: f"Szakértő Ödön {n}")
    phone = "+36 30 555 0199"
    email = factory.Sequence(lambda n: f"szakerto{n}@biztosito.example.hu")


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    claim_number = factory.Sequence(lambda n: f"K{2024000000 + n}")
    contract = factory.SubFactory(ContractFactory)
    cover = Claim.Cover.LIABILITY
    event_date = datetime.date(2024, 6, 1)
    reported_on = datetime.date(2024, 6, 2)
    status = Claim.Status.REPORTED
    status_changed_at = factory.LazyFunction(timezone.now)
    adjuster = factory.SubFactory(AdjusterFactory)


class ClaimPaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimPayment

    claim = factory.SubFactory(ClaimFactory)
    external_id = factory.Sequence(lambda n: f"KP{n:08d}")
    paid_on = datetime.date(2024, 7, 1)
    amount = 350_000
    cover = Claim.Cover.LIABILITY


def set_direkt_code(firm: PartnerFirm, code: str, role: str = DirektCode.Role.STAFF) -> DirektCode:
    """Give ``firm`` an active Direkt code (the policy applies, as in production)."""
    return _direkt_code_set(firm=firm, role=role, code=code)
