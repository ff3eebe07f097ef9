"""The IVR: the phone flow that identifies callers and queues them for the desk."""
