"""The partner portal (``/partner/``): partner managers register their firm and look after its
Direkt codes, managers and lock, and see its calls and the failed verifications on its GRID;
referents look after their partners (``/partner/referent/``).

It lives in ``gratisz``, the layer that wires the apps together, because its pages read both
``partners`` (firms, codes, managers) and ``calls`` (a firm's call history), which a lower app
may not import from a higher one.
"""
