"""Signals of the claims app, for the apps above it (which it may not import)."""

from django.dispatch import Signal

#: Sent once for each claim reported by phone at GrATISZ, when it has its final claim number,
#: inside the transaction that records it, with ``claim_id`` and ``report`` (a
#: ``claims.services.PhoneReport``: what the caller said beyond what the claim row holds). A
#: receiver's writes commit with the claim; a receiver that fails is rolled back to a savepoint
#: and logged, never costing the claim (the caller has been given its number).
claim_reported = Signal()
