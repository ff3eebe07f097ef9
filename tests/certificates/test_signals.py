"""The end of a delivery is signalled to the apps above; a failing receiver costs nothing."""

import pytest

from certificates import services
from certificates.models import Delivery, DocumentType
from certificates.services import DeliverySpec, certificate_request_create
from certificates.signals import delivery_finished

pytestmark = pytest.mark.django_db


def test_a_failing_receiver_does_not_undo_a_sent_delivery(gfb_contract, mailoutbox):
    heard = []

    def broken(sender, delivery_id, state, **kwargs):
        heard.append((delivery_id, state))
        Delivery.objects.filter(pk=delivery_id).update(last_error="receiver wrote this")
        raise RuntimeError("receiver down")

    delivery_finished.connect(broken, dispatch_uid="test-broken")
    try:
        request = certificate_request_create(
            document_type=DocumentType.COVERAGE,
            contract=gfb_contract,
            requested_by=None,
            deliveries=[DeliverySpec(channel="email")],
            source="test",
        )
        delivery = request.deliveries.get()
        assert services.delivery_process(delivery_id=delivery.pk) == "sent"
    finally:
        delivery_finished.disconnect(dispatch_uid="test-broken")
    delivery.refresh_from_db()
    assert heard == [(delivery.pk, Delivery.State.SENT)]
    assert delivery.state == Delivery.State.SENT and len(mailoutbox) == 1
    # The receiver's own write was rolled back with it; the delivery's record was not.
    assert delivery.last_error == ""
