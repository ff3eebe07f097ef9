"""Deterministic, realistic Hungarian demo data, and bulk data for benchmarks.

``seed_demo(today=...)`` builds the same data for the same day: the README's fixtures (Demo
Alkusz Kft. with GFB-DEMO-0001, CFL-DEMO-0001, VAG-DEMO-0001; Másik Partner Zrt. with
GFB-DEMO-0002), one user per role, and a portfolio that holds every product, status and edge
case. ``seed_scale(n)`` adds ``n`` contracts with bulk inserts for benchmarks.
"""

import datetime
import hashlib
import random
from base64 import b32encode
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from faker import Faker
from weasyprint import HTML

from certificates.models import LibraryDocument
from certificates.services import library_version_publish
from claims.models import Adjuster, Claim, ClaimPayment, ClaimStatusChange, MissingDocument
from gratisz.models import User
from gratisz.roles import STAFF_ROLES, Role
from partners import direkt
from partners.models import (
    BonusMalusEntry,
    Contract,
    ContractVehicle,
    DirectDebitMandate,
    DirektCode,
    Invoice,
    Offer,
    OfferMissingItem,
    PartnerFirm,
    PartnerManager,
    Payment,
    Policyholder,
    Vehicle,
)

SEED = 20120601  # GrATISZ opened in June 2012
DEMO_PASSWORD = "gratisz-demo"  # noqa: S105  (demo only; seed_demo refuses production)

DEMO_GRID = "314159265"
DEMO_STAFF_CODE = "2718"
DEMO_MANAGER_CODE = "1414"
OTHER_GRID = "271828182"
OTHER_STAFF_CODE = "3141"
OTHER_MANAGER_CODE = "5826"

Product = Contract.Product
Status = Contract.Status
# Bonus-malus classes from the worst to the best: one step up per claim-free period.
BONUS_MALUS_SCALE = ["M04", "M03", "M02", "M01", "A00"] + [f"B{n:02d}" for n in range(1, 11)]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    extension: str = ""

    @property
    def totp_key_hex(self) -> str:
        # Fixed per user so that the README and `make run` can print it; demo only.
        return hashlib.sha256(f"gratisz-demo-totp:{self.username}".encode()).hexdigest()[:40]

    @property
    def totp_secret(self) -> str:
        """The key in base32, as authenticator apps take it."""
        return b32encode(bytes.fromhex(self.totp_key_hex)).decode()


DEMO_USERS = [
    DemoUser("agent", Role.AGENT, "Anna", "Kovács", extension="201"),
    DemoUser("agent2", Role.AGENT, "Bence", "Horváth", extension="202"),
    DemoUser("supervisor", Role.SUPERVISOR, "Szilvia", "Tóth"),
    DemoUser("referent", Role.REFERENT, "Róbert", "Szabó"),
    DemoUser("manager", Role.PARTNER_MANAGER, "Margit", "Varga"),
    DemoUser("admin", Role.ADMINISTRATOR, "Ádám", "Kiss"),
]


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(day.day, 28))


def _aware(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


PERIOD_MONTHS: dict[str, int] = {
    Contract.Frequency.ANNUAL: 12,
    Contract.Frequency.SEMIANNUAL: 6,
    Contract.Frequency.QUARTERLY: 3,
    Contract.Frequency.MONTHLY: 1,
}


class DemoBuilder:
    """Build the demo data; every random choice comes from one seeded generator."""

    def __init__(self, *, today: datetime.date, seed: int = SEED):
        self.today = today
        self.rnd = random.Random(seed)
        self.fake = Faker("hu_HU")
        self.fake.seed_instance(seed)
        self.counters: dict[str, int] = {}
        self.adjusters: list[Adjuster] = []

    # --- small generators -------------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]:06d}"

    def phone(self) -> str:
        return f"+36 {self.rnd.choice(['20', '30', '70'])} {self.rnd.randint(100, 999)} " + (
            f"{self.rnd.randint(1000, 9999)}"
        )

    def plate(self) -> str:
        letters = "ABCDEFGHIJKLMNOPRSTUVZ"
        if self.rnd.random() < 0.3:  # the 2022 format: AA AA-123
            return f"AA {''.join(self.rnd.choices(letters, k=2))}-{self.rnd.randint(100, 999)}"
        return f"{''.join(self.rnd.choices(letters, k=3))}-{self.rnd.randint(100, 999)}"

    def vin(self) -> str:
        chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
        return "".join(self.rnd.choices(chars, k=17))

    def place(self) -> tuple[str, str, int]:
        """Return a postcode, its town and its county's code: Budapest postcodes (1xxx: the
        district in the middle two digits) only in Budapest, real towns with their own."""
        if self.rnd.random() < 0.35:
            return f"1{self.rnd.randint(1, 23):02d}{self.rnd.randint(1, 9)}", "Budapest", 1
        return self.rnd.choice(TOWNS)

    def address(self) -> dict[str, str]:
        postal_code, city, _county = self.place()
        return {
            "postal_code": postal_code,
            "city": city,
            "address_line": self.fake.street_address(),
        }

    def person_name(self) -> str:
        """Return a Hungarian name: family name first, given names of one sex."""
        if self.rnd.random() < 0.5:
            return f"{self.fake.last_name()} {self.fake.first_name_male()}"
        return f"{self.fake.last_name()} {self.fake.first_name_female()}"

    def person(self, **fixed) -> Policyholder:
        values = {
            "external_id": self.next_id("UGY"),
            "kind": Policyholder.Kind.PERSON,
            "name": self.person_name(),
            "birth_date": self.fake.date_of_birth(minimum_age=19, maximum_age=85),
            "mothers_name": f"{self.fake.last_name()} {self.fake.first_name_female()}",
            "tax_number": f"8{self.rnd.randint(100000000, 999999999)}",
            "email": self.fake.free_email(),
            "phone": self.phone(),
            **self.address(),
        }
        values.update(fixed)
        return Policyholder.objects.create(**values)

    def company(self, **fixed) -> Policyholder:
        """Create a company whose tax and registration numbers name the county of its seat
        (Budapest: tax office 41–44, court of registration 01) and its form (Kft. 09, Zrt. 10,
        Bt. 06)."""
        name = fixed.pop("name", None) or self.fake.company()
        if "postal_code" in fixed:
            county = next((c for _p, t, c in TOWNS if t == fixed.get("city")), 1)
        else:
            postal_code, city, county = self.place()
            fixed.update(postal_code=postal_code, city=city)
        form = {"Zrt.": "10", "Bt.": "06"}.get(name.rsplit(" ", 1)[-1], "09")
        tax_county = self.rnd.randint(41, 44) if county == 1 else county
        values = {
            "external_id": self.next_id("UGY"),
            "kind": Policyholder.Kind.COMPANY,
            "name": name,
            "tax_number": f"{self.rnd.randint(10000000, 29999999)}-2-{tax_county:02d}",
            "registration_number": f"{county:02d}-{form}-{self.rnd.randint(100000, 999999)}",
            "email": self.fake.company_email(),
            "phone": self.phone(),
            "address_line": self.fake.street_address(),
        }
        values.update(fixed)
        return Policyholder.objects.create(**values)

    def vehicle(self, category: str | None = None, **fixed) -> Vehicle:
        makes = {
            "A": [
                ("Suzuki", "Vitara"),
                ("Skoda", "Octavia"),
                ("Opel", "Astra"),
                ("Toyota", "Corolla"),
                ("Volkswagen", "Golf"),
                ("Dacia", "Duster"),
            ],
            "B": [("Honda", "CB500F"), ("Yamaha", "MT-07")],
            "C": [("Mercedes-Benz", "Actros"), ("Iveco", "Daily"), ("MAN", "TGL")],
            "E": [("Ikarus", "C56"), ("Mercedes-Benz", "Tourismo")],
            "F": [("Schmitz", "S.KO"), ("Böckmann", "TL-AL")],
        }
        category = category or self.rnd.choices("ABCEF", weights=[80, 6, 8, 2, 4])[0]
        make, model = self.rnd.choice(makes[category])
        values = {
            "external_id": self.next_id("JMU"),
            "plate": self.plate(),
            "chassis_number": self.vin(),
            "make": make,
            "model": model,
            "category": category,
            "first_registration_year": self.rnd.randint(2005, self.today.year),
        }
        values.update(fixed)
        return Vehicle.objects.create(**values)

    # --- contracts ----------------------------------------------------------------------------

    def contract(
        self,
        *,
        firm: PartnerFirm,
        product: str,
        policyholder: Policyholder | None = None,
        policy_number: str | None = None,
        status: str = Status.ACTIVE,
        start: datetime.date | None = None,
        vehicles: list[Vehicle] | None = None,
        frequency: str | None = None,
        method: str | None = None,
        premium: int | None = None,
        paid: str = "settled",
        **fixed,
    ) -> Contract:
        """Create a contract with its vehicles, bonus-malus history and premium ledger.

        ``paid``: "settled" (every due invoice paid), "arrears" (the last due one unpaid) or
        "lapsed" (unpaid for over 60 days: the contract ends for non-payment).
        """
        motor = product in Contract.MOTOR_PRODUCTS
        if policyholder is None:
            policyholder = (
                self.company()
                if product in (Product.CASCO_FLEET, Product.COMPANY_PROPERTY)
                else self.person()
            )
        start = start or self.today - datetime.timedelta(days=self.rnd.randint(60, 3000))
        prefix = {
            "gfb": "GFB",
            "casco": "CAS",
            "casco_fleet": "CFL",
            "home": "VAG",
            "company_property": "VVB",
        }[product]
        premium = (
            premium
            or {
                "gfb": self.rnd.randint(30, 140) * 1000,
                "casco": self.rnd.randint(90, 400) * 1000,
                "casco_fleet": self.rnd.randint(900, 6000) * 1000,
                "home": self.rnd.randint(25, 120) * 1000,
                "company_property": self.rnd.randint(300, 3000) * 1000,
            }[product]
        )
        contract = Contract.objects.create(
            policy_number=policy_number or f"{prefix}-{self.next_id(prefix)[len(prefix) :]}",
            firm=firm,
            policyholder=policyholder,
            product=product,
            status=status,
            start_date=start,
            annual_premium=premium,
            payment_frequency=frequency or self.rnd.choice(list(Contract.Frequency.values)),
            payment_method=method
            or self.rnd.choice(
                [
                    Contract.PaymentMethod.BANK_TRANSFER,
                    Contract.PaymentMethod.POSTAL_CHEQUE,
                    Contract.PaymentMethod.DIRECT_DEBIT,
                    Contract.PaymentMethod.CARD,
                ]
            ),
            bonus_malus_class="A00" if product == Product.GFB else "",
            risk_address="" if motor else ", ".join(self.address().values()),
            **fixed,
        )
        if motor:
            for vehicle in vehicles or [self.vehicle()]:
                ContractVehicle.objects.create(
                    contract=contract,
                    vehicle=vehicle,
                    insured_from=start,
                    insured_to=contract.end_date,
                )
        self.ledger(contract, paid=paid)
        return contract

    def ledger(self, contract: Contract, *, paid: str) -> None:
        """Write invoices from the cover start (at most the last three years) and payments.

        "lapsed": the contract ended on day 60 after the first unpaid due date (the motor
        liability rule), so its end date is set here; "arrears": the last due one is unpaid.
        """
        months = PERIOD_MONTHS[contract.payment_frequency]
        period_start = contract.start_date
        while period_start < _add_years(self.today, -3):
            period_start = _add_months(period_start, months)
        end = contract.end_date or _add_months(self.today, months)
        invoices = []
        while period_start <= end:
            period_end = _add_months(period_start, months) - datetime.timedelta(days=1)
            invoices.append(
                Invoice(
                    contract=contract,
                    number=self.next_id(f"SZ{self.today.year % 100}"),
                    issued_on=period_start - datetime.timedelta(days=30),
                    due_on=period_start,
                    period_start=period_start,
                    period_end=period_end,
                    amount=contract.annual_premium * months // 12,
                )
            )
            period_start = period_end + datetime.timedelta(days=1)
        due = [i for i in invoices if i.due_on <= self.today]
        paid_count = len(due) - (paid != "settled")
        if paid == "lapsed":
            long_due = [i for i in due if i.due_on <= self.today - datetime.timedelta(days=61)]
            if long_due:
                contract.end_date = long_due[-1].due_on + datetime.timedelta(days=60)
                contract.save(update_fields=["end_date"])
                contract.vehicle_links.update(insured_to=contract.end_date)
                invoices = [i for i in invoices if i.period_start <= contract.end_date]
                paid_count = len(long_due) - 1
        Invoice.objects.bulk_create(invoices)
        Payment.objects.bulk_create(
            Payment(
                contract=contract,
                external_id=self.next_id("BEF"),
                paid_on=min(
                    invoice.due_on + datetime.timedelta(days=self.rnd.randint(-10, 12)),
                    self.today,
                ),
                amount=invoice.amount,
                method=contract.payment_method,
            )
            for invoice in due[: max(0, paid_count)]
        )

    def bonus_malus(self, contract: Contract) -> None:
        """Write the contract's yearly bonus-malus periods and its class now, by the rules.

        A new entrant starts in A00; after each full period without a paid claim one class up,
        for each claim paid in it (counted at its payment date) two classes down, one for a
        lorry, tractor or bus (21/2011. NGM rendelet). The class follows from the claims.
        """
        paid_on = list(
            ClaimPayment.objects.filter(claim__contract=contract)
            .values_list("claim_id", "paid_on")
            .order_by("paid_on")
        )
        first_paid: dict[int, datetime.date] = {}
        for claim_id, day in paid_on:
            first_paid.setdefault(claim_id, day)
        category = (
            contract.vehicles.values_list("category", flat=True).first() or Vehicle.Category.A
        )
        drop = 1 if category in (Vehicle.Category.C, Vehicle.Category.E) else 2
        last_day = min(self.today, contract.end_date or self.today)
        index = BONUS_MALUS_SCALE.index("A00")
        entries = []
        start = contract.start_date
        while start <= last_day:
            end = _add_years(start, 1) - datetime.timedelta(days=1)
            claims = sum(start <= day <= end for day in first_paid.values())
            entries.append(
                BonusMalusEntry(
                    contract=contract,
                    period_start=start,
                    period_end=end,
                    bonus_malus_class=BONUS_MALUS_SCALE[index],
                    claims_paid=claims,
                )
            )
            if end < last_day:  # a full period: the class of the next one follows from it
                step = -drop * claims if claims else 1
                index = max(0, min(len(BONUS_MALUS_SCALE) - 1, index + step))
            start = end + datetime.timedelta(days=1)
        BonusMalusEntry.objects.bulk_create(entries)
        contract.bonus_malus_class = entries[-1].bonus_malus_class if entries else "A00"
        contract.save(update_fields=["bonus_malus_class"])

    def mandate(self, contract: Contract, *, status: str, problem: str = "", limit=None) -> None:
        DirectDebitMandate.objects.create(
            contract=contract,
            external_id=self.next_id("CSB"),
            identifier=contract.policy_number,
            payer_name=contract.policyholder.name,
            account_number="-".join(f"{self.rnd.randint(10**7, 10**8 - 1)}" for _ in range(3)),
            status=status,
            start_date=contract.start_date,
            limit_amount=limit,
            problem=problem,
            problem_on=self.today - datetime.timedelta(days=self.rnd.randint(3, 40))
            if problem
            else None,
        )

    # --- claims -------------------------------------------------------------------------------

    def claim(
        self,
        contract: Contract,
        *,
        status: str,
        cover: str,
        event: datetime.date,
        vehicle: Vehicle | None = None,
        paid: Sequence[tuple[int, datetime.date]] = (),
        missing: Sequence[str] = (),
        number: str | None = None,
        reserve: int = 0,
        description: str = "",
    ) -> Claim:
        path = {
            "reported": ["reported"],
            "inspection": ["reported", "inspection"],
            "awaiting_documents": ["reported", "inspection", "awaiting_documents"],
            "settlement": ["reported", "inspection", "settlement"],
            "paid": ["reported", "inspection", "settlement", "paid"],
            "rejected": ["reported", "inspection", "rejected"],
            "closed": ["reported", "inspection", "settlement", "paid", "closed"],
        }[status]
        reported = event + datetime.timedelta(days=self.rnd.randint(0, 2))
        last_paid = max((d for _a, d in paid), default=reported)
        step_days = max(1, (min(last_paid, self.today) - reported).days // max(1, len(path) - 1))
        changes = [
            (s, _aware(min(reported + datetime.timedelta(days=step_days * i), self.today), 9 + i))
            for i, s in enumerate(path)
        ]
        claim = Claim.objects.create(
            claim_number=number or f"{event.year}{self.next_id('')}",
            contract=contract,
            vehicle=vehicle,
            cover=cover,
            event_date=event,
            reported_on=reported,
            status=status,
            status_changed_at=changes[-1][1],
            description=description or self.rnd.choice(CLAIM_STORIES[cover]),
            reserve_amount=reserve,
            adjuster=self.rnd.choice(self.adjusters),
        )
        ClaimStatusChange.objects.bulk_create(
            ClaimStatusChange(claim=claim, status=s, changed_at=at) for s, at in changes
        )
        MissingDocument.objects.bulk_create(
            MissingDocument(claim=claim, description=d, requested_on=reported) for d in missing
        )
        ClaimPayment.objects.bulk_create(
            ClaimPayment(
                claim=claim,
                external_id=self.next_id("KFI"),
                paid_on=day,
                amount=amount,
                cover=cover,
            )
            for amount, day in paid
        )
        return claim

    def random_claims(self, contract: Contract) -> None:
        """Give a contract zero to two claims in random states."""
        covers = {
            "gfb": ["liability"],
            "casco": ["own_damage", "theft", "glass"],
            "casco_fleet": ["own_damage", "glass", "theft"],
            "home": ["water", "storm", "burglary", "fire"],
            "company_property": ["fire", "burglary", "storm", "water"],
        }[contract.product]
        vehicles = list(contract.vehicles.all())
        for _ in range(self.rnd.choices([0, 1, 2], weights=[60, 30, 10])[0]):
            event = self.today - datetime.timedelta(days=self.rnd.randint(5, 1500))
            if event < contract.start_date:
                continue
            status = self.rnd.choice(list(Claim.Status.values))
            amount = self.rnd.randint(5, 300) * 10_000
            paid_on = min(event + datetime.timedelta(days=self.rnd.randint(20, 90)), self.today)
            self.claim(
                contract,
                status=status,
                cover=self.rnd.choice(covers),
                event=event,
                vehicle=self.rnd.choice(vehicles) if vehicles else None,
                paid=[(amount, paid_on)] if status in ("paid", "closed") else [],
                missing=self.rnd.sample(MISSING_DOCUMENTS, 2)
                if status == "awaiting_documents"
                else [],
                reserve=amount if status in Claim.OPEN_STATUSES else 0,
            )


# Towns outside Budapest with one of their real postcodes and their county's code (the court
# of registration's and the tax office's number: Pest 13, Csongrád-Csanád 06, ...).
TOWNS = [
    ("2040", "Budaörs", 13),
    ("2000", "Szentendre", 13),
    ("2100", "Gödöllő", 13),
    ("2030", "Érd", 13),
    ("2600", "Vác", 13),
    ("2700", "Cegléd", 13),
    ("4024", "Debrecen", 9),
    ("4032", "Debrecen", 9),
    ("6720", "Szeged", 6),
    ("6724", "Szeged", 6),
    ("3525", "Miskolc", 5),
    ("7621", "Pécs", 2),
    ("9021", "Győr", 8),
    ("9400", "Sopron", 8),
    ("4400", "Nyíregyháza", 15),
    ("6000", "Kecskemét", 3),
    ("6500", "Baja", 3),
    ("8000", "Székesfehérvár", 7),
    ("2400", "Dunaújváros", 7),
    ("9700", "Szombathely", 18),
    ("5000", "Szolnok", 16),
    ("2800", "Tatabánya", 11),
    ("7400", "Kaposvár", 14),
    ("8600", "Siófok", 14),
    ("8200", "Veszprém", 19),
    ("5600", "Békéscsaba", 4),
    ("8900", "Zalaegerszeg", 20),
    ("3300", "Eger", 10),
    ("3100", "Salgótarján", 12),
    ("7100", "Szekszárd", 17),
]

CLAIM_STORIES = {
    "liability": [
        "Parkolás közben hátulról nekiment egy álló gépjárműnek.",
        "Kereszteződésben elsőbbséget nem adott, a másik gépjármű oldala megsérült.",
    ],
    "own_damage": [
        "Vadelütés az M7-esen, az első lökhárító és a hűtő sérült.",
        "Jégeső okozott horpadásokat a tetőn és a motorháztetőn.",
    ],
    "theft": ["A gépjárművet éjszaka ellopták a lakóház elől."],
    "glass": ["Kőfelverődés miatt megrepedt a szélvédő."],
    "fire": ["Elektromos tűz keletkezett a raktárban."],
    "water": ["Csőtörés miatt beázott a fürdőszoba és az előszoba."],
    "storm": ["A vihar megrongálta a tetőszerkezetet, több cserép leesett."],
    "burglary": ["Betörtek a lakásba, műszaki cikkeket vittek el."],
    "other": ["Egyéb kár."],
}
MISSING_DOCUMENTS = [
    "Rendőrségi jegyzőkönyv",
    "Forgalmi engedély másolata",
    "Javítási árajánlat",
    "Fényképek a sérülésről",
    "Kárbejelentő nyomtatvány aláírva",
    "Tulajdoni lap másolata",
]


def _user(spec: DemoUser) -> User:
    user = User.objects.create_user(
        username=spec.username,
        password=DEMO_PASSWORD,
        first_name=spec.first_name,
        last_name=spec.last_name,
        email=f"{spec.username}@gratisz.example.hu",
        extension=spec.extension,
        is_staff=spec.role in STAFF_ROLES,
        is_superuser=spec.role == Role.ADMINISTRATOR,
    )
    user.groups.add(Group.objects.get(name=spec.role))
    TOTPDevice.objects.create(user=user, name="GrATISZ demo", key=spec.totp_key_hex, confirmed=True)
    return user


def _store_code(firm: PartnerFirm, role: str, code: str, by: User | None = None) -> None:
    """Store a fixture code as given: the README's fixed codes predate the policy (1414 is a
    repeated pair), so they bypass it; every code a user sets goes through the policy."""
    salt = direkt.new_salt()
    DirektCode.objects.create(
        firm=firm,
        role=role,
        salt=salt,
        created_by=by,
        code_hash=direkt.keyed_hash(grid=firm.grid, salt=salt, code=code),
    )


@transaction.atomic
def seed_demo(*, today: datetime.date) -> None:
    """Create the demo data (on a database without it). Deterministic for a given ``today``."""
    b = DemoBuilder(today=today)
    users = {spec.username: _user(spec) for spec in DEMO_USERS}
    referent = users["referent"]
    b.adjusters = [
        Adjuster.objects.create(
            external_id=f"KSZ{i:03d}",
            name=b.person_name(),
            phone=b.phone(),
            email=f"karszakerto{i}@groupama.example.hu",
        )
        for i in range(1, 7)
    ]
    registered = _aware(today - datetime.timedelta(days=400))

    def firm(grid: str, name: str, kind: str, **extra) -> PartnerFirm:
        return PartnerFirm.objects.create(
            grid=grid,
            name=name,
            kind=kind,
            mnb_register_number=f"{b.rnd.randint(10**8, 10**9 - 1)}",
            email=f"iroda@{name.split()[0].lower()}-{grid[-3:]}.example.hu",
            fax=f"+36 1 {b.rnd.randint(200, 499)} {b.rnd.randint(1000, 9999)}",
            referent=referent,
            registered_at=registered,
            **b.address(),
            **extra,
        )

    demo = firm(
        DEMO_GRID, "Demo Alkusz Kft.", PartnerFirm.Kind.BROKER, registered_by=users["manager"]
    )
    PartnerManager.objects.create(firm=demo, user=users["manager"], is_leader=True)
    _store_code(demo, DirektCode.Role.STAFF, DEMO_STAFF_CODE, users["manager"])
    _store_code(demo, DirektCode.Role.MANAGER, DEMO_MANAGER_CODE, users["manager"])
    other = firm(OTHER_GRID, "Másik Partner Zrt.", PartnerFirm.Kind.MULTIPLE_AGENT)
    _store_code(other, DirektCode.Role.STAFF, OTHER_STAFF_CODE)
    _store_code(other, DirektCode.Role.MANAGER, OTHER_MANAGER_CODE)

    _demo_fixtures(b, demo, other)
    _demo_library(by=users["admin"])
    for firm_ in (demo, other):
        _random_portfolio(b, firm_, count=30 if firm_ is demo else 15)
    kinds = [PartnerFirm.Kind.BROKER, PartnerFirm.Kind.MULTIPLE_AGENT]
    for i in range(8):
        extra = b.fake.company()
        f = firm(
            f"{b.rnd.randint(100000000, 699999999)}",
            extra,
            kinds[i % 2],
            status=PartnerFirm.Status.SUSPENDED if i == 7 else PartnerFirm.Status.ACTIVE,
        )
        if i < 6:  # the last two have not registered for GrATISZ yet
            _store_code(f, DirektCode.Role.STAFF, direkt.random_code())
            _store_code(f, DirektCode.Role.MANAGER, direkt.random_code())
        else:
            PartnerFirm.objects.filter(pk=f.pk).update(registered_at=None)
        _random_portfolio(b, f, count=b.rnd.randint(8, 20))


# What the desk sends by e-mail or fax on request ("SOS"): one published page each.
DEMO_LIBRARY = [
    ("kezi-ajanlat-kgfb", "Kézi ajánlat – kötelező gépjármű-felelősségbiztosítás", "form"),
    ("casco-aszf", "Casco általános szerződési feltételek", "conditions"),
    ("karbejelento-sablon", "Gépjármű-kárbejelentő sablon", "claim_report"),
    ("telephelyi-kockazatfelmero", "Telephelyi kockázatfelmérő adatlap", "site_survey"),
]


def _demo_library(*, by: User) -> None:
    for code, title, category in DEMO_LIBRARY:
        document = LibraryDocument.objects.create(code=code, title=title, category=category)
        pdf = HTML(string=f"<h1>{title}</h1><p>GrATISZ demo dokumentum.</p>").write_pdf()
        library_version_publish(document=document, file=ContentFile(pdf, name=code), by=by)


def _demo_fixtures(b: DemoBuilder, demo: PartnerFirm, other: PartnerFirm) -> None:
    """The README's named contracts and one contract for each edge case, in Demo Alkusz's
    portfolio so that the demo agent can open them."""
    today = b.today
    eva = b.person(
        name="Kovács Éva",
        birth_date=datetime.date(1978, 3, 14),
        mothers_name="Szabó Ilona",
        postal_code="1117",
        city="Budapest",
        address_line="Fehérvári út 12.",
        email="kovacs.eva@example.hu",
    )
    vitara = b.vehicle(
        "A",
        plate="MKX-314",
        make="Suzuki",
        model="Vitara",
        chassis_number="TSMLYD21S00123456",
        first_registration_year=2017,
    )
    gfb = b.contract(
        firm=demo,
        product=Product.GFB,
        policy_number="GFB-DEMO-0001",
        policyholder=eva,
        vehicles=[vitara],
        start=_add_years(today, -10),
        frequency=Contract.Frequency.QUARTERLY,
        method=Contract.PaymentMethod.BANK_TRANSFER,
        premium=68_400,
    )
    b.claim(
        gfb,
        status="closed",
        cover="liability",
        vehicle=vitara,
        event=today - datetime.timedelta(days=3 * 365 + 40),
        paid=[(412_000, today - datetime.timedelta(days=3 * 365))],
        number=f"{(today - datetime.timedelta(days=3 * 365 + 40)).year}000314",
    )
    b.claim(
        gfb,
        status="paid",
        cover="liability",
        vehicle=vitara,
        event=today - datetime.timedelta(days=400),
        paid=[(186_500, today - datetime.timedelta(days=340))],
        number=f"{(today - datetime.timedelta(days=400)).year}000271",
    )
    b.bonus_malus(gfb)
    b.contract(
        firm=demo,
        product=Product.HOME,
        policy_number="VAG-DEMO-0001",
        policyholder=eva,
        frequency=Contract.Frequency.ANNUAL,
        method=Contract.PaymentMethod.DIRECT_DEBIT,
        premium=54_000,
    )
    b.mandate(Contract.objects.get(policy_number="VAG-DEMO-0001"), status="active")

    fleet_owner = b.company(
        name="Gyorsfutár Logisztika Kft.",
        postal_code="2040",
        city="Budaörs",
        address_line="Szabadság út 117.",
    )
    fleet_vehicles = [b.vehicle(c) for c in "AAACCF"]
    fleet = b.contract(
        firm=demo,
        product=Product.CASCO_FLEET,
        policy_number="CFL-DEMO-0001",
        policyholder=fleet_owner,
        vehicles=fleet_vehicles,
        start=_add_years(today, -4),
        frequency=Contract.Frequency.MONTHLY,
        method=Contract.PaymentMethod.BANK_TRANSFER,
        premium=3_240_000,
    )
    ContractVehicle.objects.filter(contract=fleet, vehicle=fleet_vehicles[5]).update(
        insured_from=_add_years(today, -2)
    )
    b.claim(
        fleet,
        status="closed",
        cover="own_damage",
        vehicle=fleet_vehicles[0],
        event=_add_years(today, -3),
        paid=[(1_250_000, _add_years(today, -3) + datetime.timedelta(days=45))],
    )
    b.claim(
        fleet,
        status="paid",
        cover="glass",
        vehicle=fleet_vehicles[3],
        event=today - datetime.timedelta(days=200),
        paid=[(98_000, today - datetime.timedelta(days=180))],
    )
    b.claim(
        fleet,
        status="settlement",
        cover="own_damage",
        vehicle=fleet_vehicles[1],
        event=today - datetime.timedelta(days=25),
        reserve=860_000,
    )
    b.claim(
        fleet,
        status="awaiting_documents",
        cover="theft",
        vehicle=fleet_vehicles[4],
        event=today - datetime.timedelta(days=12),
        reserve=14_500_000,
        missing=["Rendőrségi feljelentés másolata", "Mindkét eredeti slusszkulcs"],
    )

    # Másik Partner's contract: the demo agent must NOT reach it from a Demo Alkusz call.
    b.bonus_malus(
        b.contract(
            firm=other,
            product=Product.GFB,
            policy_number="GFB-DEMO-0002",
            start=_add_years(today, -2),
        )
    )

    # Edge cases: lapsed for non-payment, arrears, a direct debit failing for each reason.
    lapsed_start = _add_years(today, -2)
    lapsed = b.contract(
        firm=demo,
        product=Product.GFB,
        policy_number="GFB-DEMO-0003",
        status=Status.LAPSED,
        end_reason=Contract.EndReason.NON_PAYMENT,
        start=lapsed_start,
        end_date=today - datetime.timedelta(days=20),
        frequency=Contract.Frequency.QUARTERLY,
        method=Contract.PaymentMethod.POSTAL_CHEQUE,
        paid="lapsed",
    )
    b.bonus_malus(lapsed)
    # In arrears, and kept (üzembentartó) by a leasing company, not by the policyholder.
    b.bonus_malus(
        b.contract(
            firm=demo,
            product=Product.GFB,
            policy_number="GFB-DEMO-0004",
            frequency=Contract.Frequency.MONTHLY,
            method=Contract.PaymentMethod.POSTAL_CHEQUE,
            paid="arrears",
            keeper=b.company(name="Városi Autólízing Zrt."),
        )
    )
    b.contract(
        firm=demo,
        product=Product.CASCO,
        policy_number="CAS-DEMO-0009",
        status=Status.TERMINATED,
        end_reason=Contract.EndReason.OWNER_CHANGE,
        start=_add_years(today, -3),
        end_date=_add_years(today, -1),
    )
    problems = [
        ("pending_bank", ""),
        ("pending_insurer", ""),
        ("rejected", "identifier_mismatch"),
        ("active", "limit_too_low"),
        ("active", "insufficient_funds"),
        ("revoked", "revoked"),
        ("rejected", "account_closed"),
    ]
    for n, (status, problem) in enumerate(problems, start=1):
        c = b.contract(
            firm=demo,
            product=Product.CASCO,
            policy_number=f"CAS-DEMO-{n:04d}",
            method=Contract.PaymentMethod.DIRECT_DEBIT,
            frequency=Contract.Frequency.MONTHLY,
            paid="arrears" if problem else "settled",
        )
        limit = c.annual_premium // 24 if problem == "limit_too_low" else None
        b.mandate(c, status=status, problem=problem, limit=limit)
    # A casco contract with a claim in every status.
    casco = Contract.objects.get(policy_number="CAS-DEMO-0001")
    vehicle = casco.vehicles.get()
    for n, status in enumerate(Claim.Status.values):
        event = today - datetime.timedelta(days=30 + 45 * n)
        b.claim(
            casco,
            status=status,
            cover="own_damage",
            vehicle=vehicle,
            event=event,
            paid=[(240_000 + 10_000 * n, event + datetime.timedelta(days=30))]
            if status in ("paid", "closed")
            else [],
            missing=MISSING_DOCUMENTS[:2] if status == "awaiting_documents" else [],
            reserve=300_000 if status in Claim.OPEN_STATUSES else 0,
        )
    property_ = b.contract(
        firm=demo,
        product=Product.COMPANY_PROPERTY,
        policy_number="VVB-DEMO-0001",
        policyholder=fleet_owner,
    )
    b.claim(
        property_,
        status="inspection",
        cover="storm",
        event=today - datetime.timedelta(days=6),
        reserve=2_400_000,
    )
    _demo_offers(demo, other, eva, today)


# What the offer in "missing data" status waits for (data and documents, as underwriters ask).
OFFER_MISSING_ITEMS = [
    (OfferMissingItem.Kind.DATA, "A gépjármű alvázszáma"),
    (OfferMissingItem.Kind.DOCUMENT, "Forgalmi engedély másolata"),
    (OfferMissingItem.Kind.DOCUMENT, "Szemle fényképei a gépjárműről"),
]


def _demo_offers(demo: PartnerFirm, other: PartnerFirm, eva, today: datetime.date) -> None:
    """Offers AJ-DEMO-0001 … 0006 in every status for Demo Alkusz: the accepted one became
    VAG-DEMO-0001 (Kovács Éva's home insurance), the one in "missing data" lists what it waits
    for; AJ-DEMO-0007 is Másik Partner's, "not found" on a Demo Alkusz call."""
    home = Contract.objects.get(policy_number="VAG-DEMO-0001")
    for n, status in enumerate(Offer.Status.values, start=1):
        accepted = status == Offer.Status.ACCEPTED
        offer = Offer.objects.create(
            offer_number=f"AJ-DEMO-{n:04d}",
            firm=demo,
            policyholder=eva,
            product=Product.HOME if accepted else Product.CASCO,
            status=status,
            submitted_on=home.start_date - datetime.timedelta(days=21)
            if accepted
            else today - datetime.timedelta(days=10 * n),
            annual_premium=home.annual_premium if accepted else 180_000 + 5_000 * n,
            contract=home if accepted else None,
        )
        if status == Offer.Status.MISSING_DATA:
            OfferMissingItem.objects.bulk_create(
                OfferMissingItem(
                    offer=offer,
                    kind=kind,
                    description=description,
                    requested_on=offer.submitted_on + datetime.timedelta(days=3),
                )
                for kind, description in OFFER_MISSING_ITEMS
            )
    Offer.objects.create(
        offer_number="AJ-DEMO-0007",
        firm=other,
        policyholder=Contract.objects.get(policy_number="GFB-DEMO-0002").policyholder,
        product=Product.GFB,
        status=Offer.Status.SUBMITTED,
        submitted_on=today - datetime.timedelta(days=5),
        annual_premium=72_000,
    )


def _random_portfolio(b: DemoBuilder, firm: PartnerFirm, *, count: int) -> None:
    products = [
        Product.GFB,
        Product.CASCO,
        Product.CASCO_FLEET,
        Product.HOME,
        Product.COMPANY_PROPERTY,
    ]
    for _ in range(count):
        product = b.rnd.choices(products, weights=[40, 20, 6, 22, 12])[0]
        vehicles = (
            [b.vehicle() for _ in range(b.rnd.randint(6, 30))]
            if product == Product.CASCO_FLEET
            else None
        )
        roll = b.rnd.random()
        if roll < 0.08:
            start = _add_years(b.today, -3)
            contract = b.contract(
                firm=firm,
                product=product,
                vehicles=vehicles,
                start=start,
                status=Status.LAPSED,
                end_reason=Contract.EndReason.NON_PAYMENT,
                end_date=b.today - datetime.timedelta(days=b.rnd.randint(5, 300)),
                paid="lapsed",
            )
        else:
            contract = b.contract(
                firm=firm,
                product=product,
                vehicles=vehicles,
                paid="arrears" if roll < 0.18 else "settled",
            )
        if contract.payment_method == Contract.PaymentMethod.DIRECT_DEBIT:
            b.mandate(contract, status="active")
        b.random_claims(contract)
        if product == Product.GFB:
            b.bonus_malus(contract)


# --- bulk data for benchmarks ---------------------------------------------------------------

SCALE_GRID_BASE = 700_000_000


def scale_firm_code(grid: str) -> str:
    """Return the staff Direkt code of a benchmark firm (derived from its GRID, never trivial)."""
    n = int(hashlib.sha256(f"scale:{grid}".encode()).hexdigest(), 16)
    while True:
        code = f"{n % 10_000:04d}"
        if not direkt.is_trivial(code):
            return code
        n //= 10_000


class _RowWriter:
    """Collect plain rows per table and write them in one go: COPY on PostgreSQL, executemany
    elsewhere. Ids are assigned here (after the current maximum) so that rows can refer to each
    other without a round trip; the sequences are reset at the end.

    Django's bulk_create spends most of its time building model instances and SQL; for a
    million contracts that is the difference between hours and minutes.
    """

    def __init__(self) -> None:
        self.rows: dict[type[models.Model], list[tuple]] = defaultdict(list)
        self.fields: dict[type[models.Model], Sequence[models.Field]] = {}
        self.defaults: dict[type[models.Model], dict] = {}
        self.next_id: dict[type[models.Model], int] = {}

    def add(self, model: type[models.Model], /, **values) -> int:
        if model not in self.fields:
            self.fields[model] = model._meta.concrete_fields
            self.defaults[model] = {f.attname: f.get_default() for f in self.fields[model]}
            top = model._default_manager.aggregate(top=Max("pk"))["top"] or 0
            self.next_id[model] = top + 1
        pk = self.next_id[model]
        self.next_id[model] += 1
        values["id"] = pk
        defaults = self.defaults[model]
        self.rows[model].append(
            tuple(values.get(f.attname, defaults[f.attname]) for f in self.fields[model])
        )
        return pk

    def flush(self) -> None:
        with connection.cursor() as cursor:
            for model, rows in self.rows.items():
                table = connection.ops.quote_name(model._meta.db_table)
                columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields[model])
                if connection.vendor == "postgresql":
                    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    adapt = connection.ops.adapt_datetimefield_value
                    marks = ", ".join(["%s"] * len(self.fields[model]))
                    cursor.executemany(
                        f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
                        [
                            tuple(adapt(v) if isinstance(v, datetime.datetime) else v for v in r)
                            for r in rows
                        ],
                    )
        self.rows.clear()

    def reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.fields))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _scale_firms(writer: _RowWriter, *, count: int, now: datetime.datetime) -> list[int]:
    """Add ``count`` scale firms after the ones seeded before, each with its staff code."""
    first_firm = PartnerFirm.objects.filter(grid__gte=str(SCALE_GRID_BASE)).count()
    firms = []
    for i in range(count):
        grid = f"{SCALE_GRID_BASE + first_firm + i:09d}"
        firm_id = writer.add(
            PartnerFirm,
            grid=grid,
            name=f"Skála Alkusz {first_firm + i} Kft.",
            kind=PartnerFirm.Kind.BROKER,
            status="active",
            registered_at=now,
        )
        salt = direkt.new_salt()
        writer.add(
            DirektCode,
            firm_id=firm_id,
            role=DirektCode.Role.STAFF,
            salt=salt,
            created_at=now,
            code_hash=direkt.keyed_hash(grid=grid, salt=salt, code=scale_firm_code(grid)),
        )
        firms.append(firm_id)
    return firms


def seed_scale(
    n: int,
    *,
    today: datetime.date,
    progress: Callable[[int], None] = lambda k: None,
    batch: int = 5000,
) -> None:
    """Add ``n`` contracts (one firm per 100, with staff codes from ``scale_firm_code``),
    each with a policyholder, a vehicle for motor products, four quarterly invoices, payments
    (one in ten contracts owes its last quarter), and a claim for one in ten."""
    rnd = random.Random(SEED + n)
    fake = Faker("hu_HU")
    fake.seed_instance(SEED + n)
    names = [f"{fake.last_name()} {fake.first_name()}" for _ in range(2000)]
    places = [(f"1{d:02d}{n}", "Budapest") for d in range(1, 24) for n in (1, 3, 5)] + [
        (postal_code, town) for postal_code, town, _county in TOWNS
    ]
    streets = [fake.street_address() for _ in range(2000)]
    products = list(Product.values)
    claim_statuses = list(Claim.Status.values)
    now = timezone.now()
    quarters = [_add_months(today, 3 * (q - 3)) for q in range(4)]
    writer = _RowWriter()
    with transaction.atomic():
        first = Contract.objects.filter(policy_number__startswith="S-").count()
        firms = _scale_firms(writer, count=max(1, n // 100), now=now)
        writer.flush()
        done = 0
        while done < n:
            size = min(batch, n - done)
            for i in range(first + done, first + done + size):
                postal_code, city = rnd.choice(places)
                holder = writer.add(
                    Policyholder,
                    external_id=f"S-UGY-{i:09d}",
                    kind="person",
                    name=rnd.choice(names),
                    postal_code=postal_code,
                    city=city,
                    address_line=rnd.choice(streets),
                    birth_date=datetime.date(
                        rnd.randint(1940, 2004), rnd.randint(1, 12), rnd.randint(1, 28)
                    ),
                )
                product = rnd.choice(products)
                premium = rnd.randint(30, 400) * 1000
                start = today - datetime.timedelta(days=rnd.randint(30, 2000))
                contract = writer.add(
                    Contract,
                    policy_number=f"S-{i:09d}",
                    firm_id=firms[i % len(firms)],
                    policyholder_id=holder,
                    product=product,
                    status=Status.ACTIVE,
                    start_date=start,
                    annual_premium=premium,
                    payment_frequency="quarterly",
                    payment_method="bank_transfer",
                    updated_at=now,
                    bonus_malus_class="B02" if product == Product.GFB else "",
                )
                vehicle = None
                if product in Contract.MOTOR_PRODUCTS:
                    vehicle = writer.add(
                        Vehicle,
                        external_id=f"S-JMU-{i:09d}",
                        make="Skoda",
                        model="Octavia",
                        plate=f"S{rnd.randint(10, 99)}-{rnd.randint(100, 999)}",
                        chassis_number=f"SCALE{i:012d}",
                        category="A",
                    )
                    writer.add(
                        ContractVehicle,
                        contract_id=contract,
                        vehicle_id=vehicle,
                        insured_from=start,
                    )
                owes_last = rnd.random() < 0.1
                for q, due in enumerate(quarters):
                    writer.add(
                        Invoice,
                        contract_id=contract,
                        number=f"S-SZ-{i:09d}-{q}",
                        issued_on=due,
                        due_on=due,
                        period_start=due,
                        period_end=_add_months(due, 3) - datetime.timedelta(days=1),
                        amount=premium // 4,
                    )
                    if q < 3 or not owes_last:
                        writer.add(
                            Payment,
                            contract_id=contract,
                            external_id=f"S-BEF-{i:09d}-{q}",
                            paid_on=due,
                            amount=premium // 4,
                            method="bank_transfer",
                        )
                if rnd.random() < 0.1:
                    writer.add(
                        Claim,
                        claim_number=f"S-K-{i:09d}",
                        contract_id=contract,
                        vehicle_id=vehicle,
                        cover="other",
                        reported_on=today,
                        event_date=today - datetime.timedelta(days=rnd.randint(1, 900)),
                        status=rnd.choice(claim_statuses),
                        status_changed_at=now,
                    )
            writer.flush()
            done += size
            progress(size)
        writer.reset_sequences()
