"""Writes on partner firms and their Direkt codes."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import direkt
from .models import DirektCode, PartnerFirm


def direkt_code_policy_errors(*, firm: PartnerFirm, role: str, code: str) -> list[str]:
    """Return the policy rules that ``code`` breaks for the firm's ``role`` (codes of
    ``direkt.POLICY_MESSAGES``); empty when the code may be set."""
    if not direkt.CODE_RE.match(code):
        return ["format"]
    errors = []
    if direkt.is_trivial(code):
        errors.append("trivial")
    own = DirektCode.objects.filter(firm=firm, role=role).order_by("-created_at")
    if any(
        direkt.hash_matches(grid=firm.grid, salt=c.salt, code_hash=c.code_hash, code=code)
        for c in own[: direkt.HISTORY_DEPTH]
    ):
        errors.append("reused")
    other = DirektCode.objects.filter(firm=firm, retired_at__isnull=True).exclude(role=role).first()
    if other and direkt.hash_matches(
        grid=firm.grid, salt=other.salt, code_hash=other.code_hash, code=code
    ):
        errors.append("same_as_other_role")
    return errors


@transaction.atomic
def direkt_code_set(*, firm: PartnerFirm, role: str, code: str, by=None) -> DirektCode:
    """Make ``code`` the firm's active code for ``role``, retiring the previous one.

    Raises ``ValidationError`` (with the policy's messages) when the code breaks the policy;
    then nothing changes. The firm row is locked so that two parallel changes serialise.
    """
    PartnerFirm.objects.select_for_update().get(pk=firm.pk)
    errors = direkt_code_policy_errors(firm=firm, role=role, code=code)
    if errors:
        raise ValidationError([ValidationError(direkt.POLICY_MESSAGES[e], code=e) for e in errors])
    now = timezone.now()
    DirektCode.objects.filter(firm=firm, role=role, retired_at__isnull=True).update(retired_at=now)
    salt = direkt.new_salt()
    return DirektCode.objects.create(
        firm=firm,
        role=role,
        salt=salt,
        code_hash=direkt.keyed_hash(grid=firm.grid, salt=salt, code=code),
        created_by=by,
    )
