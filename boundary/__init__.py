"""Where text from outside becomes values: one set of field types and validators.

The bottom layer of the project (every app may import it, it imports no app): forms, API
serializers, the IVR and CTI webhooks and the URL converters all parse through it, so a new view
refuses odd input (non-ASCII digits, dates at the ends of the calendar, integers beyond 64 bits,
NUL characters, oversized text) with a 4xx and a message in the user's language, never a 500.
"""
