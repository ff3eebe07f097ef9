"""Issue one document synchronously and write its PDF: for operators and tests."""

from django.core.management.base import BaseCommand, CommandError

from partners.models import Contract

from ...models import RENDERED_TYPES, DocumentType
from ...selectors import NotEligible
from ...services import certificate_issue, certificate_request_create

CHOICES = [t.value for t in RENDERED_TYPES if t not in (DocumentType.INVOICE_COPY,)]


class Command(BaseCommand):
    help = "Issue a document for a policy and write the PDF (no delivery is queued)."

    def add_arguments(self, parser):
        parser.add_argument("--type", required=True, choices=CHOICES, dest="document_type")
        parser.add_argument("--policy", required=True, help="policy number")
        parser.add_argument("--out", required=True, help="PDF file to write")

    def handle(self, *args, document_type, policy, out, **options):
        contract = Contract.objects.filter(policy_number=policy).first()
        if contract is None:
            raise CommandError(f"No contract with policy number {policy}.")
        try:
            request = certificate_request_create(
                document_type=document_type,
                contract=contract,
                requested_by=None,
                source="command:render_certificate",
                deliveries=[],
            )
        except NotEligible as refusal:
            raise CommandError(refusal.reason) from refusal
        certificate = certificate_issue(request=request)
        with certificate.pdf.open("rb") as f, open(out, "wb") as target:
            target.write(f.read())
        self.stdout.write(f"{certificate.number} {certificate.sha256} -> {out}")
