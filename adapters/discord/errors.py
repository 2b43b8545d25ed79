"""discord.py's exceptions mapped to :mod:`hearth.errors` at the adapter boundary.

Messages carry what Discord said and what was being done, never the token
(discord.py's HTTP errors hold the response, not the request headers).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import aiohttp
import discord

from hearth.errors import AdapterError, Forbidden, NotFound, RateLimited, Unreachable


@contextlib.contextmanager
def boundary(action: str) -> Iterator[None]:
    """Translate discord.py errors raised inside the block into Hearth's."""
    try:
        yield
    except discord.Forbidden as exc:
        raise Forbidden(f"{action}: Discord refused (missing permission): {exc.text}") from exc
    except discord.NotFound as exc:
        raise NotFound(f"{action}: not found on Discord: {exc.text}") from exc
    except discord.RateLimited as exc:
        raise RateLimited(f"{action}: rate limited by Discord", exc.retry_after) from exc
    except discord.DiscordServerError as exc:
        raise Unreachable(f"{action}: Discord answered {exc.status}: {exc.text}") from exc
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise Unreachable(f"{action}: Discord unreachable ({type(exc).__name__})") from exc
    except discord.HTTPException as exc:
        raise AdapterError(f"{action}: Discord answered {exc.status}: {exc.text}") from exc
    except discord.DiscordException as exc:
        raise AdapterError(f"{action}: {exc}") from exc
