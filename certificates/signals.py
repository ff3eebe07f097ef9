"""Signals of the certificates app, for the apps above it (which it may not import)."""

from django.dispatch import Signal

#: Sent once for each end of a delivery (sent, or failed for good), inside the transaction that
#: records it, with ``delivery_id`` and ``state``. A receiver's writes commit with that end; a
#: receiver that fails is rolled back to a savepoint and logged, never costing the delivery's
#: own record (a sent document must stay marked sent).
delivery_finished = Signal()
