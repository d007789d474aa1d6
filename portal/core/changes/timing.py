"""How long the change pipeline waits before it presumes a change's sender lost: every such wait, derived in this
one place from the Partner API client's timeouts and retries (settings `PARTNER_API_*`, `partner_api.constants`)
and from the promise `CHANGES_SETTLE_SECONDS` (a change whose sender died is read back within it).

A lost sender is found through its heartbeat (liveness.py): it lapses `heartbeat_ttl` after the sender's last
beat; the reaper runs every `reap_every` and takes a sender for lost when it has found its heartbeat gone twice,
`lost_grace` apart (so a heartbeat lost with a cache restart and written again is not a death); then one read-back
call. Hence heartbeat_ttl + 2 x reap_every + one call <= settle: the first two share what the call leaves.

An open outcome (a timeout, a 5xx to a write) is read back at once, then `read_backs` later (each wait after
the one before), the last due `settle - call` after the outcome was left open, so the change is settled (applied,
replaced, or not applied) within `settle`, a row of a bulk change as a single change.

A row that names no sender (claimed before senders were recorded) is presumed lost only after the longest a live
sender may spend on one change: every attempt the client may make (its retries of an idempotent call, of a 429,
of a 401 with a new token, and the token itself), each waiting at most its timeouts, and every wait in between.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from partner_api import constants

#: The shortest heartbeat and reaper period the derivation gives (a settle time too short for the timeouts).
FLOOR_SECONDS = 1.0


@dataclass(frozen=True)
class Timing:
    #: The longest one request waits for its answer (connect, then read).
    call: float
    #: The longest a live sender may spend on one change: the fallback for a RUNNING row that names no sender.
    stale_running: float
    #: A sender's heartbeat lapses this long after its last beat; it beats every `heartbeat_every`.
    heartbeat_ttl: float
    heartbeat_every: float
    #: A sender is lost when its heartbeat was found gone at least this long ago, and still is.
    lost_grace: float
    #: The reaper's period (the beat schedule's `changes-reap-stale`).
    reap_every: float
    #: The promise: a change whose sender died has been read back within this long of the death, and a change
    #: whose outcome was left open is settled within it.
    settle: float
    #: After an open outcome, the waits before each read-back (each after the one before); after the last one
    #: a change still not found is settled.
    read_backs: tuple[float, ...]


def timing() -> Timing:
    """The waits for the settings in force now (cheap: read each time, so a test's settings apply)."""
    call = float(settings.PARTNER_API_CONNECT_TIMEOUT) + float(settings.PARTNER_API_READ_TIMEOUT)
    retries = int(settings.PARTNER_API_MAX_RETRIES)
    # The token, the first attempt, each retry, each 429 retried, one 401 retried with a new token.
    attempts = 1 + 1 + retries + constants.MAX_RATE_LIMITED_RETRIES + 1
    waits = (
        retries * constants.RETRY_BACKOFF_MAX_SECONDS
        + constants.MAX_RATE_LIMITED_RETRIES * constants.MAX_RATE_LIMITED_WAIT_SECONDS
    )
    settle = float(settings.CHANGES_SETTLE_SECONDS)
    share = max(FLOOR_SECONDS, (settle - call) / 3)
    # The read-backs at an eighth, half and all of what the last one's call leaves: 11, 43 and 85 s by default.
    span = settle - call
    read_backs = tuple(float(max(FLOOR_SECONDS, round(span * part))) for part in (1 / 8, 3 / 8, 1 / 2))
    return Timing(
        call=call,
        stale_running=attempts * call + waits,
        heartbeat_ttl=share,
        heartbeat_every=share / 3,
        lost_grace=share / 2,
        reap_every=share,
        settle=settle,
        read_backs=read_backs,
    )
