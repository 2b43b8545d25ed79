"""The boundary to the homeserver: every call's errors mapped to Hearth's, secrets kept out.

:func:`call` runs an :mod:`.ops` call with 429s waited out and maps
:mod:`.errors` (and an unreachable homeserver) to :mod:`hearth.errors`, with
tokens and passwords scrubbed from the message. :data:`secret_filter` masks
them in matrix-nio's own log records (its DEBUG logs dump login bodies).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from nio import AsyncClient

from hearth.errors import AdapterError, Forbidden, NotFound, RateLimited, Unreachable

from . import ops
from .errors import MatrixForbidden, MatrixNotFound, MatrixOpError, MatrixRateLimited
from .schema import MatrixAccount

T = TypeVar("T")

_TOKEN_IN_URL = re.compile(r"(access_token=)[^&\s'\"]+")
_TOKEN_IN_JSON = re.compile(r"""(['"](?:access_token|refresh_token|password)['"]:\s*['"])[^'"]+""")
NIO_LOGGERS = ("nio", "nio.responses", "nio.api", "nio.client.async_client", "nio.client.base_client")


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with tokens in URLs and JSON, and each of ``secrets``, masked."""
    text = _TOKEN_IN_JSON.sub(r"\1***", _TOKEN_IN_URL.sub(r"\1***", text))
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class _SecretFilter(logging.Filter):
    """Masks tokens and passwords in nio's own log records."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:
            return True
        clean = scrub(text, self.secrets)
        if clean != text:
            record.msg, record.args = clean, None
        return True


secret_filter = _SecretFilter()
for _name in NIO_LOGGERS:
    logging.getLogger(_name).addFilter(secret_filter)


async def call(what: str, fn: Callable[[], Awaitable[T]], secrets: Callable[[], Iterable[str]]) -> T:
    """Run an ops call: 429s waited out, errors mapped to Hearth's, ``secrets()`` scrubbed."""
    try:
        return await ops.retry_rate_limited(fn)
    except MatrixRateLimited as exc:
        raise RateLimited(scrub(f"{what}: {exc}", secrets()),
                          (exc.retry_after_ms or 1000) / 1000) from exc
    except MatrixForbidden as exc:
        raise Forbidden(scrub(f"{what}: {exc}", secrets())) from exc
    except MatrixNotFound as exc:
        raise NotFound(scrub(f"{what}: {exc}", secrets())) from exc
    except MatrixOpError as exc:
        raise AdapterError(scrub(f"{what}: {exc}", secrets())) from exc
    except asyncio.CancelledError:
        raise
    except (OSError, TimeoutError, ValueError) as exc:
        raise Unreachable(f"{what}: homeserver unreachable ({type(exc).__name__})") from None
    except Exception as exc:
        if type(exc).__module__.startswith("aiohttp"):
            raise Unreachable(f"{what}: homeserver unreachable ({type(exc).__name__})") from None
        raise


def secrets_of(account: MatrixAccount, client: AsyncClient | None) -> list[str]:
    """The secrets to keep out of messages: the configured token and password, the session's token."""
    found = [s.get_secret_value() for s in (account.access_token, account.password) if s]
    if client is not None and client.access_token:
        found.append(client.access_token)
    return found
