"""The telephony provider, seen from GrATISZ: how a queued caller is put through to an agent's
phone, and how a call's recordings are downloaded from the provider and deleted there.

- ``backends``: one backend per provider, chosen by ``TELEPHONY_BACKEND`` like Django's
  ``EMAIL_BACKEND``: ``backends.twilio.TwilioBackend`` (Twilio's REST API through its SDK, and
  the compatible ones at their own ``TELEPHONY_API_BASE_URL``) and ``backends.demo.DemoBackend``
  (the one-command demo: files the demo phone reads).
- ``errors``: how a backend says that the provider did not do it.
- ``connection``: the connection service: put a caller through to an agent's SIP address and
  say how it went (``ConnectResult``).

The desk keeps a taken call's connection state (``calls.desk.connection``); the review keeps the
recordings (``calls.review.recordings``); both ask the provider through this package only.
"""
