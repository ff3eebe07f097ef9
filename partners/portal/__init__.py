"""The partner portal (``/partner/``): partner managers register their firm and look after its
Direkt codes, managers and lock; referents look after their partners (``/partner/referent/``)."""
