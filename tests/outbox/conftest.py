import pytest
from django.utils import timezone

from partners.models import PartnerManager
from tests.factories import PartnerFirmFactory


@pytest.fixture
def firm(make_user):
    """A firm with a referent, two active managers (one with a name) and a revoked one."""
    referent = make_user("referent", username="referens")
    referent.email = "referens@biztosito.example.hu"
    referent.save()
    firm = PartnerFirmFactory(grid="123456789", referent=referent)
    for name, revoked in (("vezeto", None), ("helyettes", None), ("volt", timezone.now())):
        user = make_user("partner_manager", username=name)
        user.email = f"{name}@alkusz.example.hu"
        if name == "vezeto":
            user.first_name, user.last_name = "Anna", "Kovács"
        user.save()
        PartnerManager.objects.create(firm=firm, user=user, revoked_at=revoked)
    return firm
