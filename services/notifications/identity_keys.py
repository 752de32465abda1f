"""The keys of sealed identities, asked of intake (GET /identity-keys/{key_id}) with notifications' own token.

Intake keeps each case's key and destroys it when the company's identity is erased: an answer of 404 or 410
means there is no identity to release. Any other failure is a passing one (intake restarting, a network fault,
a token being rotated): the consumer retries it with backoff and never dead-letters a consent for it.
"""

from __future__ import annotations

from uuid import UUID

import httpx

from services.notifications.config import NotificationsSettings
from shared import sealing


class KeyServiceUnavailable(ConnectionError):
    """Intake did not answer with a key or a definite "no key" (a transient failure: retried)."""


class IdentityKeys:
    def __init__(self, settings: NotificationsSettings) -> None:
        self._base = settings.intake_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {settings.intake_token.get_secret_value()}"}
        self._timeout = settings.intake_timeout_seconds
        self._client: httpx.AsyncClient | None = None

    async def key(self, key_id: UUID) -> bytes | None:
        """The key, or None when intake has none (erased, or never made)."""
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self._base, headers=self._headers, timeout=self._timeout)
        try:
            answer = await self._client.get(f"/identity-keys/{key_id}")
        except httpx.TransportError as err:
            raise KeyServiceUnavailable(f"intake unreachable for identity keys: {type(err).__name__}") from err
        if answer.status_code in (404, 410):
            return None
        if answer.status_code != 200:
            raise KeyServiceUnavailable(f"intake answered {answer.status_code} for an identity key")
        return sealing.decode_key(answer.json()["key"])

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
