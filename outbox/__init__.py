"""What the product sends out: every e-mail through one model, one service and one task, and
the one retry policy and sweep that the other deliveries (certificates, webhooks) share.

The lowest layer: every app may use it, and it imports none of them.
"""
