"""Connecting the partner account (LINE WORKS's OAuth authorization-code flow for a partner user account): the
tokens are stored encrypted by the client's vault (portal/core/partner.py), which the client then uses."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from partner_api import PartnerApiError, UserAccountAuth
from portal.core import partner
from portal.core.models import PartnerAccountToken
from portal.core.partner import PartnerConnectionError

SESSION_STATE_KEY = "partner_account_oauth_state"


def start_connection(*, session, redirect_uri: str) -> str:
    """Begin the authorization-code flow: remember a fresh `state` in the session, return the URL to visit."""
    try:
        url, state = UserAccountAuth(
            partner.oauth_config(), scope=settings.PARTNER_API_SCOPE
        ).authorization_url(redirect_uri=redirect_uri)
    except PartnerApiError as exc:
        raise PartnerConnectionError(str(exc)) from exc
    session[SESSION_STATE_KEY] = state
    return url


def finish_connection(
    *, session, state: str | None, code: str | None, error: str | None, redirect_uri: str, user
) -> PartnerAccountToken:
    """Complete the flow: check `state`, exchange `code`, store the tokens encrypted. The state is single-use."""
    expected = session.pop(SESSION_STATE_KEY, None)
    if not expected or not state or state != expected:
        raise PartnerConnectionError(
            _("The sign-in answer did not match this browser session (state check failed). Start again.")
        )
    if error:
        raise PartnerConnectionError(
            _("LINE WORKS refused the connection (%(error)s).") % {"error": error[:100]}
        )
    if not code:
        raise PartnerConnectionError(_("LINE WORKS sent no authorization code. Start again."))
    auth = UserAccountAuth(
        partner.oauth_config(),
        vault=partner.DatabaseTokenVault(connected_by=user),
        scope=settings.PARTNER_API_SCOPE,
    )
    try:
        auth.exchange_code(code=code, redirect_uri=redirect_uri)
    except PartnerApiError as exc:
        raise PartnerConnectionError(
            _("LINE WORKS did not issue tokens: %(reason)s") % {"reason": str(exc)[:300]}
        ) from exc
    partner.forget_user_tokens()
    return PartnerAccountToken.objects.get(label=partner.ACCOUNT_LABEL)


def disconnect() -> bool:
    """Remove the stored tokens of the connected account; True when there was one."""
    deleted, _rows = PartnerAccountToken.objects.filter(label=partner.ACCOUNT_LABEL).delete()
    partner.forget_user_tokens()
    return bool(deleted)
