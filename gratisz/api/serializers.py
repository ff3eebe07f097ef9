"""Request and response shapes of the API (docstrings of these classes are published in the
schema; notes for the code are comments): requests are parsed by these serializers, every
response body is rendered by one, and the same classes feed the OpenAPI schema, so the schema
and the output cannot drift apart. No writes here."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from boundary.fields import DateSerializerField, DateTimeSerializerField, IntegerSerializerField
from calls.models import CallTicket, CtiEvent
from certificates.models import Delivery, DocumentType

from .models import Scope


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for programs: e.g. token_revoked, invalid.")
    message = serializers.CharField(help_text="For people (Accept-Language: hu or en).")
    details = serializers.DictField(help_text="What is specific to this error.")


class ClientSerializer(serializers.Serializer):
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices))


class SyncRequestSerializer(serializers.Serializer):
    records = serializers.ListField(
        child=serializers.JSONField(),
        allow_empty=True,
        help_text=(
            "Records of the core systems' export, the same as one line each of "
            "`manage.py import_portfolio`: an object with a `type` (firm, policyholder, "
            "vehicle, adjuster, contract, offer, invoice, payment, mandate, claim) and its "
            "fields. Up to API_SYNC_MAX_RECORDS (5000) a request; parents before the rows that "
            "point at them."
        ),
    )


class SyncCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    failed = serializers.IntegerField()


# Renders one record's result, from the importer's `(number, outcome, reason)`.
class SyncResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the record in `records`, from 0.")
    outcome = serializers.ChoiceField(choices=["created", "updated", "unchanged", "failed"])
    error = serializers.CharField(allow_blank=True, help_text="Why it failed; empty otherwise.")

    def to_representation(self, instance):
        index, outcome, error = instance
        return super().to_representation({"index": index, "outcome": outcome, "error": error})


# Renders the importer's report (`gratisz.importer.ImportReport`).
class SyncResponseSerializer(serializers.Serializer):
    counts = SyncCountsSerializer()
    results = SyncResultSerializer(many=True)


class DeliveryRequestSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Delivery.Channel.choices)
    destination = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Empty: the policyholder's address (or firm's) on file for the channel."),
    )
    recipient_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    read_back = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("A destination not on file is accepted only once confirmed with the client."),
    )


# The parameters each document takes (ISO dates); anything else in ``params`` is refused.
CERTIFICATE_PARAMS = {
    DocumentType.COVERAGE: ("period_from", "period_to"),
    DocumentType.GREEN_CARD: ("valid_from", "valid_until"),
}
MAX_DELIVERIES = 5


class CertificateRequestCreateSerializer(serializers.Serializer):
    document_type = serializers.ChoiceField(
        choices=[c for c in DocumentType.choices if c[0] != DocumentType.LIBRARY]
    )
    policy_number = serializers.CharField(max_length=30)
    invoice_number = serializers.CharField(max_length=30, required=False, allow_blank=True)
    params = serializers.DictField(
        child=serializers.DateField(),
        required=False,
        default=dict,
        help_text=_(
            "ISO dates: period_from and period_to for coverage, valid_from and valid_until for "
            "green_card; other documents take none."
        ),
    )
    deliveries = DeliveryRequestSerializer(
        many=True, required=False, allow_empty=False, max_length=MAX_DELIVERIES
    )

    def validate(self, attrs):
        allowed = CERTIFICATE_PARAMS.get(attrs["document_type"], ())
        unknown = sorted(key for key in attrs.get("params", {}) if key not in allowed)
        if unknown:
            raise serializers.ValidationError(
                {
                    "params": [
                        _("Unknown parameter for this document: %(keys)s.")
                        % {"keys": ", ".join(key[:40] for key in unknown[:5])}
                    ]
                }
            )
        attrs["params"] = {key: value.isoformat() for key, value in attrs["params"].items()}
        return attrs


class DeliveryStatusSerializer(serializers.Serializer):
    channel = serializers.CharField()
    destination = serializers.CharField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    sent_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)


# Renders a `certificates.CertificateRequest` with its deliveries.
class CertificateRequestStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document_type = serializers.CharField()
    policy_number = serializers.CharField(source="contract.policy_number", allow_null=True)
    created_at = serializers.DateTimeField()
    certificate_number = serializers.CharField(source="certificate.number", allow_null=True)
    deliveries = DeliveryStatusSerializer(many=True)


class CallLogQuerySerializer(serializers.Serializer):
    date_from = DateSerializerField(required=False, help_text="First day (Budapest time).")
    date_to = DateSerializerField(required=False, help_text="Last day, inclusive.")
    grid = serializers.RegexField(r"^[0-9]{9}$", required=False)
    menu = serializers.ChoiceField(choices=["1", "2", "3"], required=False)
    state = serializers.CharField(max_length=20, required=False)
    outcome = serializers.CharField(max_length=20, required=False)
    verification = serializers.ChoiceField(choices=["verified", "failed", "none"], required=False)
    sort = serializers.ChoiceField(
        choices=["-started", "started", "-wait", "wait", "-handle", "handle"],
        required=False,
        default="-started",
    )
    cursor = serializers.CharField(
        max_length=100, required=False, default="", help_text="`next_cursor` of the last page."
    )
    size = serializers.IntegerField(min_value=1, max_value=1000, required=False, default=100)


# Renders a row of the supervisors' call log (`calls.review.CallLogEntry`).
class CallLogRowSerializer(serializers.Serializer):
    ticket_id = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    state = serializers.CharField()
    menu = serializers.CharField(allow_blank=True)
    grid = serializers.CharField(allow_blank=True, help_text="As entered in the IVR.")
    firm_grid = serializers.CharField(
        source="firm.grid", allow_null=True, help_text="The verified firm's GRID."
    )
    agent_id = serializers.IntegerField(allow_null=True)
    verification = serializers.CharField()
    failed_verifications = serializers.IntegerField()
    outcome = serializers.CharField(allow_blank=True)
    wait_seconds = serializers.IntegerField()
    handle_seconds = serializers.IntegerField()
    requests = serializers.IntegerField()
    documents_sent = serializers.BooleanField()
    failed_delivery = serializers.BooleanField()
    has_recording = serializers.BooleanField()


# Renders a keyset page of the call log (`calls.review.selectors.Page`).
class CallLogPageSerializer(serializers.Serializer):
    results = CallLogRowSerializer(source="rows", many=True)
    next_cursor = serializers.CharField(allow_blank=True, help_text="Empty on the last page.")


class CtiEventSerializer(serializers.Serializer):
    call_id = serializers.RegexField(
        r"^[A-Za-z0-9._:@-]{1,60}$",
        help_text="The PBX's id of the call (e.g. Asterisk's linkedid), the same on every event.",
    )
    event = serializers.ChoiceField(choices=CtiEvent.Kind.choices)
    at = DateTimeSerializerField(help_text="When it happened, by the PBX's clock.")
    from_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    to_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    menu = serializers.ChoiceField(
        choices=[c for c in CallTicket.Menu.choices if c[0] != CallTicket.Menu.CODE_CHANGE],
        required=False,
        help_text="identified: the menu the caller chose (1 contracts, 2 claims).",
    )
    grid = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="identified: as keyed."
    )
    direkt_code = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="identified: as keyed; checked here, never stored or logged.",
    )
    attempt = IntegerSerializerField(
        min_value=1,
        max_value=2,
        default=1,
        help_text="identified: 1 for the first try, 2 for the second (a second failure ends).",
    )
    extension = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="answered: the extension."
    )

    def validate(self, data):
        needed = {
            CtiEvent.Kind.IDENTIFIED: ["menu", "grid", "direkt_code"],
            CtiEvent.Kind.ANSWERED: ["extension"],
        }.get(data["event"], [])
        missing = {f: [_("Required for this event.")] for f in needed if not data.get(f)}
        if missing:
            raise serializers.ValidationError(missing)
        return data


# Renders what `calls.cti.cti_event_record` recorded (a `CtiResult`).
class CtiEventResultSerializer(serializers.Serializer):
    call_id = serializers.CharField(source="ticket.call_sid")
    ticket_id = serializers.IntegerField(source="ticket.pk")
    event = serializers.ChoiceField(source="event.kind", choices=CtiEvent.Kind.choices)
    repeated = serializers.BooleanField(
        help_text="The same event was recorded before: nothing changed, this is its answer."
    )
    state = serializers.ChoiceField(source="ticket.state", choices=CallTicket.State.choices)
    result = serializers.CharField(
        source="event.result",
        help_text="identified: verified or failed; answered: the agent or why none; else state.",
    )
    attempts_left = serializers.IntegerField(
        help_text="Identification attempts the caller still has (0: say goodbye)."
    )
