"""discord.py's exceptions mapped to :mod:`hearth.errors` at the adapter boundary.

Messages carry what Discord said and what was being done, never the token
(discord.py's HTTP errors hold the response, not the request headers).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import aiohttp
import discord

from hearth.errors import AdapterError, Forbidden, LimitReached, NotFound, RateLimited, Unreachable

#: Discord's "maximum number of … reached" codes (30013: guild channels); a full
#: category answers 50035 with "Maximum number of channels in category reached"
LIMIT_CODES = frozenset({30013})


@contextlib.contextmanager
def boundary(action: str) -> Iterator[None]:
    """Translate discord.py errors raised inside the block into Hearth's (``platform``
    discord, ``action`` as given; the discord.py exception is the cause)."""
    where = {"platform": "discord", "action": action}
    try:
        yield
    except discord.Forbidden as exc:
        raise Forbidden(f"Discord refused (missing permission): {exc.text}", **where) from exc
    except discord.NotFound as exc:
        raise NotFound(f"not found on Discord: {exc.text}", **where) from exc
    except discord.RateLimited as exc:
        raise RateLimited("rate limited by Discord", exc.retry_after, **where) from exc
    except discord.DiscordServerError as exc:
        raise Unreachable(f"Discord answered {exc.status}: {exc.text}", **where) from exc
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise Unreachable(f"Discord unreachable ({type(exc).__name__})", **where) from exc
    except RuntimeError as exc:
        # aiohttp's "Session is closed": the client was replaced (this process's shards
        # changed) while the action was under way; the next try goes through the new one
        if "Session is closed" not in str(exc):
            raise
        raise Unreachable("Discord's client is being replaced", **where) from exc
    except discord.HTTPException as exc:
        if exc.code in LIMIT_CODES or "Maximum number of" in exc.text:
            raise LimitReached(f"Discord's limit: {exc.text}", **where) from exc
        raise AdapterError(f"Discord answered {exc.status}: {exc.text}", **where) from exc
    except discord.DiscordException as exc:
        raise AdapterError(str(exc), **where) from exc
