"""The integration API, version 1. Views parse, call one service or selector, and render."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from calls.cti import CtiConflict, cti_event_record
from calls.review.selectors import call_log, call_log_page
from certificates.selectors import NotEligible
from certificates.services import (
    DeliverySpec,
    certificate_request_create,
    destination_is_on_file,
)
from gratisz.importer import portfolio_import

from . import exceptions, selectors
from .authentication import ClientTokenAuthentication
from .models import Scope
from .parsers import BoundedJSONParser
from .permissions import HasScope
from .serializers import (
    CallLogPageSerializer,
    CallLogQuerySerializer,
    CertificateRequestCreateSerializer,
    CertificateRequestStatusSerializer,
    ClientSerializer,
    CtiEventResultSerializer,
    CtiEventSerializer,
    ErrorSerializer,
    SyncRequestSerializer,
    SyncResponseSerializer,
)
from .throttling import ClientRateThrottle

_REFUSALS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid request (code: invalid, …)."),
    401: OpenApiResponse(ErrorSerializer, description="No, unknown or revoked token."),
    403: OpenApiResponse(ErrorSerializer, description="The client lacks the scope."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests (Retry-After)."),
}


class ApiView(APIView):
    """Base of every v1 endpoint: token auth, scope check, per-client throttle, one error
    format."""

    authentication_classes = [ClientTokenAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [ClientRateThrottle]
    parser_classes = [BoundedJSONParser, FormParser, MultiPartParser]
    required_scope: str = ""

    def get_exception_handler(self):
        return exceptions.api_exception_handler


class ClientView(ApiView):
    """Who am I: any valid token, whatever its scopes."""

    permission_classes: list = []

    def check_permissions(self, request):
        if not request.successful_authenticator:
            raise exceptions.NotAuthenticated()

    @extend_schema(
        operation_id="client_retrieve",
        summary="The calling client and its scopes",
        responses={200: ClientSerializer, **_REFUSALS},
    )
    def get(self, request):
        return Response(ClientSerializer(request.user).data)


class SyncView(ApiView):
    required_scope = Scope.SYNC

    def max_body_bytes(self) -> int:
        """The documented batch (API_SYNC_MAX_RECORDS) fits; Django's 2.5 MiB does not."""
        return settings.API_SYNC_MAX_BODY_BYTES

    @extend_schema(
        operation_id="sync_create",
        summary="Upsert records of the core systems (bulk, idempotent)",
        description=(
            "Each record is validated and written on its own: a failed record writes nothing, "
            "the others land, and `results` says per record what happened. Sending the same "
            "records again changes nothing (every outcome is `unchanged`)."
        ),
        request=SyncRequestSerializer,
        responses={
            200: SyncResponseSerializer,
            413: OpenApiResponse(
                ErrorSerializer, description="More records or a larger body than allowed."
            ),
            **_REFUSALS,
        },
    )
    def post(self, request):
        payload = SyncRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        records = payload.validated_data["records"]
        limit = settings.API_SYNC_MAX_RECORDS
        if len(records) > limit:
            raise exceptions.BatchTooLarge(details={"max_records": limit, "sent": len(records)})
        report = portfolio_import(enumerate(records))
        return Response(SyncResponseSerializer(report).data)


def _refuse_dictated(contract, deliveries: list[DeliverySpec]) -> None:
    """Raise ``DestinationNotOnFile`` for a destination that is not the policyholder's or the
    firm's on file (an empty one means the one on file)."""
    for index, spec in enumerate(deliveries):
        if spec.destination.strip() and not destination_is_on_file(
            contract=contract, channel=spec.channel, destination=spec.destination
        ):
            raise exceptions.DestinationNotOnFile(details={"deliveries": {"index": index}})


class CertificateRequestListView(ApiView):
    required_scope = Scope.CERTIFICATES

    @extend_schema(
        operation_id="certificate_requests_create",
        summary="Request a certificate or document copy, delivered by e-mail, fax or post",
        request=CertificateRequestCreateSerializer,
        responses={
            201: CertificateRequestStatusSerializer,
            404: ErrorSerializer,
            **_REFUSALS,
            403: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "The client lacks the scope (scope_missing), or named a destination that is "
                    "not on file without the certificates_dictated scope "
                    "(destination_not_on_file)."
                ),
            ),
        },
    )
    def post(self, request):
        payload = CertificateRequestCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        contract = selectors.contract_by_policy_number(
            policy_number=data["policy_number"], client=request.user
        )
        if contract is None:
            raise serializers.ValidationError({"policy_number": [_("No such contract.")]})
        invoice = None
        if data.get("invoice_number"):
            invoice = selectors.invoice_of(contract=contract, number=data["invoice_number"])
            if invoice is None:
                raise serializers.ValidationError(
                    {"invoice_number": [_("No such invoice on this contract.")]}
                )
        deliveries = None
        if data.get("deliveries"):
            deliveries = [DeliverySpec(**spec) for spec in data["deliveries"]]
            if not request.user.has_scope(Scope.CERTIFICATES_DICTATED):
                _refuse_dictated(contract, deliveries)
        try:
            created = certificate_request_create(
                document_type=data["document_type"],
                requested_by=None,
                contract=contract,
                invoice=invoice,
                params=data["params"],
                deliveries=deliveries,
                source=selectors.client_source(client=request.user),
            )
        except NotEligible as refusal:
            raise serializers.ValidationError({"document_type": [str(refusal.reason)]}) from None
        except DjangoValidationError as error:
            raise serializers.ValidationError({"deliveries": error.messages}) from None
        created = selectors.certificate_requests_of(client=request.user).get(pk=created.pk)
        return Response(
            CertificateRequestStatusSerializer(created).data, status=status.HTTP_201_CREATED
        )


class CertificateRequestDetailView(ApiView):
    required_scope = Scope.CERTIFICATES

    @extend_schema(
        operation_id="certificate_requests_retrieve",
        summary="The status of a certificate request this client made",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: CertificateRequestStatusSerializer, 404: ErrorSerializer, **_REFUSALS},
    )
    def get(self, request, pk: int):
        found = selectors.certificate_requests_of(client=request.user).filter(pk=pk).first()
        if found is None:
            raise exceptions.drf.NotFound()
        return Response(CertificateRequestStatusSerializer(found).data)


class CallLogView(ApiView):
    """Call tickets for reporting tools, read-only, from the supervisors' call log."""

    required_scope = Scope.REPORTING

    @extend_schema(
        operation_id="calls_list",
        summary="Calls (one row per call ticket), newest first, a keyset page at a time",
        description=(
            "The supervisors' call log (refreshed every minute from the tickets). Follow "
            "`next_cursor` for the next page; the pages stay fast however far you go."
        ),
        parameters=[CallLogQuerySerializer],
        responses={200: CallLogPageSerializer, **_REFUSALS},
    )
    def get(self, request):
        query = CallLogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        qs = call_log(filters=params)
        page = call_log_page(
            qs=qs, sort=params["sort"], cursor=params["cursor"], size=params["size"]
        )
        return Response(CallLogPageSerializer(page).data)


class CtiEventView(ApiView):
    """Call events from a PBX that does not speak TwiML; its calls reach the desk's queue."""

    required_scope = Scope.CTI

    @extend_schema(
        operation_id="cti_events_create",
        summary="Report a call event: started, identified, answered by an extension, ended",
        description=(
            "The call's ticket is created by its first event. `identified` carries the GRID "
            "and Direkt code the caller keyed: GrATISZ checks them (with the IVR's throttles "
            "and lock) and answers `verified` (the call now waits in the desk's queue) or "
            "`failed` with the attempts left. `answered` opens the call on the desk of the "
            "agent with that extension. Sending an event again changes nothing and returns "
            "the first answer (`repeated`)."
        ),
        request=CtiEventSerializer,
        responses={
            200: CtiEventResultSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="The event does not fit the call (call_not_identifying, "
                "attempt_out_of_turn).",
            ),
            **_REFUSALS,
        },
    )
    def post(self, request):
        payload = CtiEventSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            recorded = cti_event_record(
                call_id=data["call_id"],
                kind=data["event"],
                at=data["at"],
                from_number=data.get("from_number", ""),
                to_number=data.get("to_number", ""),
                menu=data.get("menu", ""),
                grid=data.get("grid", ""),
                code=data.get("direkt_code", ""),
                attempt=data["attempt"],
                extension=data.get("extension", ""),
            )
        except CtiConflict as conflict:
            raise exceptions.Conflict(conflict.code, conflict.message, conflict.details) from None
        return Response(CtiEventResultSerializer(recorded).data)
