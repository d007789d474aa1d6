"""The one HTTP session type of `partner_api`: every request has a connect and a read timeout."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth2Session

from partner_api.errors import ConfigurationError


class PartnerSession(OAuth2Session):
    """An `OAuth2Session` (used for the token endpoint and for API calls alike) whose requests always carry
    `timeout=(connect, read)`. urllib3's own retries are off: retrying is the transport's decision."""

    def __init__(self, *, timeout: tuple[float, float], pool_size: int = 10, **kwargs: Any) -> None:
        connect, read = timeout
        if not (connect and connect > 0 and read and read > 0):
            raise ConfigurationError("Partner API calls need a positive connect and read timeout.")
        super().__init__(**kwargs)
        self.timeout = (float(connect), float(read))
        self.pool_size = 0
        self.make_room(pool_size)
        self._environment: dict[tuple[Any, ...], dict[str, Any]] = {}

    def make_room(self, connections: int) -> None:
        """Keep up to `connections` open connections per host: as many as the threads that share this session
        (a smaller pool discards a connection after each request that found it full, and opens a new one for
        the next). Growing it is for before those threads start; it never shrinks."""
        if connections <= self.pool_size:
            return
        adapter = HTTPAdapter(pool_connections=connections, pool_maxsize=connections, max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        self.pool_size = connections

    def merge_environment_settings(
        self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        """What the environment adds to a request (proxies and no_proxy, the CA bundle), read once per scheme
        and host rather than for each request: requests reads the process environment twice a call (a Partner
        API call's largest cost in the client). A call that sets any of these itself reads it as requests does."""
        if proxies or stream is not None or verify is not None or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        key = (
            *urlsplit(url)[:2],
            self.trust_env,
            self.stream,
            self.verify,
            self.cert,
            *sorted(self.proxies.items()),
        )
        found = self._environment.get(key)
        if found is None:
            found = self._environment[key] = super().merge_environment_settings(url, {}, None, None, None)
        return {**found, "proxies": dict(found["proxies"])}

    # The parent spells out every keyword argument of requests; this override passes them through unchanged.
    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)
