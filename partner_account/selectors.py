"""Reads of the partner account room: which partner user account is connected, if any."""

from __future__ import annotations

from portal.core import partner
from portal.core.models import PartnerAccountToken


def connected_account() -> PartnerAccountToken | None:
    return (
        PartnerAccountToken.objects.select_related("connected_by").filter(label=partner.ACCOUNT_LABEL).first()
    )
