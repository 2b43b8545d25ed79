"""Ad detection: pure, fast (it runs on every message) and linear in the message's length.

:class:`Detector` looks at one text: links outside the allow-list, invite links
to other servers or rooms, contact handles, phone numbers and the operator's
extra patterns. The text is normalised first (see :mod:`.normalise`), but only
after a cheap check says it could hold an ad at all: most chat never reaches
the regular expressions. Every regular expression runs on RE2, so no message,
however crafted, costs more than time proportional to its length.

A link written with a scheme, ``www.`` or a path is an ad. A bare ``name.tld``
is one only when its suffix is a real public suffix (an offline copy of the
Public Suffix List), it is not a well-known technology name (``ASP.NET``,
``Socket.IO``) or file name, and something else in the message says "ad": a
sales word, a contact app, a repeat, or the host itself was written to dodge
filters (lookalike letters, full-width, ``[.]``, invisible characters).

:class:`RepeatTracker` finds the same text posted again and again, keeping
only fingerprints, bounded in time and bytes.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any, Literal
from urllib.parse import unquote

from publicsuffixlist import PublicSuffixList

from hearth import SafePattern, compile_pattern
from hearth.plugins.ad_window import pitches
from hearth.plugins.ad_window.normalise import FUNCTION_WORDS, View, fold, mixed_script, rx, view
from hearth.plugins.ad_window.technames import FILE_SUFFIXES, TECH_NAMES

Kind = Literal["invite", "link", "contact", "phone", "pitch", "shop", "pattern", "repeat"]


@dataclass(frozen=True, slots=True)
class Finding:
    """Why a text is an ad: its ``kind`` and the ``evidence`` (a domain, a handle, a number…)."""

    kind: Kind
    evidence: str


# -- cheap checks --------------------------------------------------------------------------
# Patterns without unbounded repetition cost at most their own length at each position, so
# Python's re runs them in linear time (and calls it faster than the RE2 binding): they
# decide, most of the time, that the RE2 patterns need not run at all.
# An ASCII text with none of these cannot hold a link, handle or phone number.
_TRIGGER = re.compile(r"[.:@_/=\d]|dot|hxxp", re.IGNORECASE)
_DOT_LETTER = re.compile(r"\.[^\W\d_]")  # every host name has one, before its top-level domain
_APP_WORD = re.compile(
    r"\b(?:wechat|weixin|telegram|whatsapp|skype|viber|kakao|kik|threema|wickr|line|signal|snap"
    r"|snapchat|insta|instagram|ig|tg|qq|vx|facebook|fb|messenger)\b"
)
_ME = re.compile(r"\bme\b", re.IGNORECASE)  # every English pitch says "DM me", "PM me"…
_SEVEN_DIGITS = re.compile(r"\d(?:[ ().\-]{0,3}\d){6}")  # the separators are never digits


@cache
def _psl() -> PublicSuffixList:
    """The Public Suffix List shipped with ``publicsuffixlist`` (never downloaded)."""
    return PublicSuffixList(accept_unknown=False, only_icann=True)


# -- links ---------------------------------------------------------------------------------
# [scheme://][www.]host[path]: a host holds none of ":/?#", and a path starts with one.
_URL = rx(
    r"(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?"
    r"(?:[\p{L}\p{N}][\p{L}\p{N}_-]*\.)+\p{L}[\p{L}\p{N}-]*"
    r"(?:[:/?#][^\s<>\"']*)?"
)
# Top-level domains that start no sentence: "Cheap.Com" is a domain, whatever its case.
_NEVER_WORDS = frozenset("com net org cn ru xyz io gg biz cc info".split())
_MAX_HOST = 253  # longer is no DNS name (and would cost the suffix lookup more than linear time)
_HOST_END = re.compile(r"[:/?#]")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")
_BEFORE_HOST = frozenset("@.-_")  # "user@host", "a.b" inside a longer token
_IP_URL = rx(r"[a-z][a-z0-9+.-]*://(\d{1,3}(?:\.\d{1,3}){3})([:/?#]\S*)?")
_EMAIL = rx(r"[\w.+-]+@((?:[a-z0-9-]+\.)+[a-z]{2,24})")
_DISCORD_INVITE = rx(
    r"(?:discord(?:app)?\.com/invite|discord\.gg|dsc\.gg|discord\.me|discord\.io|discord\.link)/[\w-]+"
)
_DISCORD_MESSAGE = rx(r"discord(?:app)?\.com/channels/(\d+|@me)")
_MATRIX_TO = rx(r"matrix\.to/#/([^\s/?\"'<>]+)")

# -- what makes a bare name.tld an ad ------------------------------------------------------
_SALES = rx(
    r"\b(?:buy|sale|sales|sell|sells|selling|cheap|cheapest|discounts?|deals?|prices?|offers?"
    r"|promo|promotion|coupons?|free|shop|store|visit|click|earn|income|money|cash|crypto"
    r"|bitcoin|invest|investment|profit|giveaway|nitro|wholesale|casino|betting|loans?"
    r"|followers|subscribe)\b|\d+ ?% off|优惠|批发|便宜|购买|代购|促销|免费|折扣|特价|赚钱|兼职|下单|官网"
)
_CONTACT_HINT = rx(
    r"\b(?:wechat|weixin|telegram|whatsapp|skype|viber|kakao|kik|threema|wickr|snapchat"
    r"|instagram|insta|ig|tg|qq|line id|(?:dm|pm|message|text|contact|inbox) me)\b|微信|电报|加我"
)

# -- contact handles and phone numbers -----------------------------------------------------
_APPS_STRONG = r"(?:wechat|weixin|telegram|whatsapp|skype|viber|kakao ?talk|kik|threema|wickr|qq|vx)"
_APPS_ALL = (
    r"(?:wechat|weixin|telegram|whatsapp|skype|viber|kakao(?: ?talk)?|kik|threema|wickr|line|signal"
    r"|snapchat|snap|instagram|insta|ig|tg|qq|facebook|fb|messenger)"
)
# After a colon anything handle-like counts; without one, only what looks like a handle
# (@name, or a token with a digit or underscore): "my line is busy" is not a contact.
_SEP_HANDLE = (
    r" ?(?:id|handle|number|no\.?|account|#)? ?"
    r"(?:[:=] ?(@?[a-z0-9+][\w.+-]{2,})"
    r"|(?: is)? (@[a-z0-9][\w.]+|[a-z0-9.+-]*[\d_][\w.+-]*))"
)
_CONTACT = rx(
    # "wechat: tea_lover", "telegram id is @teashop"
    rf"\b{_APPS_STRONG}{_SEP_HANDLE}"
    # "add me on WeChat/Telegram: tealover", "dm me on IG @teashop"
    rf"|\b(?:add|contact|dm|message|msg|text|call|reach|find|ping|hit|follow) me (?:up )?"
    rf"(?:on|at|via|in|@) ?{_APPS_ALL}(?: ?/ ?{_APPS_ALL})*{_SEP_HANDLE}"
    # "my whatsapp: +44…", "my ig @teashop"
    rf"|\bmy {_APPS_ALL}{_SEP_HANDLE}"
)
_HANDLE_BARE = 2  # the group of a handle written without a colon
_PHONE = rx(
    # international: +86 138 0013 8000, 0044 20 7946 0958, +1 (555) 123-4567
    r"(?:\+|00)[1-9]\d{0,2}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{1,5}(?:[ .\-]?\d{1,5}){1,5}"
    # Chinese mobile: 138 0013 8000, 13800138000
    r"|1[3-9]\d(?:[ \-]?\d{4}){2}"
    # North American: (555) 123-4567, 555-123-4567
    r"|(?:\([2-9]\d\d\) ?|[2-9]\d\d[ .\-])\d{3}[ .\-]\d{4}"
    # national with trunk prefix: 020 7946 0958
    r"|0\d{2,4}[ \-]\d{3,4}[ \-]\d{3,4}"
)
# A number right after one of these is a meeting id, an order or a code, not a phone number.
_NOT_A_PHONE = rx(
    r"\b(?:meeting|zoom|webinar|id|passcode|password|pin|code|order|tracking|ticket|invoice"
    r"|account|room|conference)\b[^\d]{0,12}$"
)


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _allowed(host: str, allow: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in allow)


@lru_cache(maxsize=4096)
def _ascii_host(host: str) -> str:
    """``host`` in its ASCII (punycode) form, for comparing with the allow-list."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch in _BEFORE_HOST


@dataclass(frozen=True, slots=True)
class Detector:
    """What counts as an ad in one community (built from the ``detect:`` config).

    ``internal_rooms`` are the community's own Matrix room ids/aliases (links to them
    are not invitations elsewhere); ``own_guilds`` its Discord guild ids.
    """

    allow_domains: tuple[str, ...] = ()
    invite_links: bool = True
    contact_handles: bool = True
    pitches: bool = True
    patterns: tuple[SafePattern, ...] = ()
    internal_rooms: frozenset[str] = frozenset()
    own_guilds: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        *,
        allow_domains: Iterable[str] = (),
        invite_links: bool = True,
        contact_handles: bool = True,
        pitches: bool = True,
        patterns: Iterable[str | SafePattern] = (),
        internal_rooms: Iterable[str] = (),
        own_guilds: Iterable[str] = (),
    ) -> Detector:
        domains = [d.lower() for d in allow_domains]
        return cls(
            allow_domains=tuple(dict.fromkeys([*domains, *(_ascii_host(d) for d in domains)])),
            invite_links=invite_links,
            contact_handles=contact_handles,
            pitches=pitches,
            patterns=tuple(p if isinstance(p, SafePattern) else compile_pattern(p) for p in patterns),
            internal_rooms=frozenset(r.lower() for r in internal_rooms),
            own_guilds=frozenset(own_guilds),
        )

    def detect(self, text: str, *, repeated: bool = False) -> Finding | None:
        """The first reason ``text`` is an ad (invite, link, contact, phone, pitch, shop, pattern).

        ``repeated``: the member posted this text before (a bare ``name.tld`` then counts).
        """
        if not text:
            return None
        if text.isascii() and _TRIGGER.search(text) is None:
            found = None
            if self.pitches and _ME.search(text):
                found = self._pitches(" ".join(text.split()).lower())
            if found is None and self.patterns:
                found = self._patterns(text, text)
            return found
        v = view(text)
        found = self._links(v, repeated)
        if found is None and self.contact_handles:
            found = self._contact(v.skeleton)
        if found is None and self.pitches:
            found = self._pitches(v.skeleton)
        if found is None and self.patterns:
            found = self._patterns(v.raw, v.base)
        return found

    # -- parts ---------------------------------------------------------------------------
    def _patterns(self, raw: str, norm: str) -> Finding | None:
        for pattern in self.patterns:
            hit = pattern.search(raw)
            if hit is None and norm is not raw:
                hit = pattern.search(norm)
            if hit is not None:
                return Finding("pattern", hit)
        return None

    def _links(self, v: View, repeated: bool) -> Finding | None:
        skel = v.skeleton
        if "://" in skel:
            for m in _IP_URL.finditer(skel):
                return Finding("link", m.group(1))
        if _DOT_LETTER.search(skel) is None:
            return None
        if self.invite_links and ("discord" in skel or "dsc.gg" in skel):
            m = _DISCORD_INVITE.search(skel)
            if m:
                return Finding("invite", m.group(0))
        signal: bool | None = None  # whether the text says "ad" besides a bare name.tld
        written = _written_hosts(v.raw) if v.rewritten or v.evasive else None
        seen: set[tuple[str, bool]] = set()
        for url in _urls(skel):
            if url.start and (_word_char(skel[url.start - 1]) or _server_of_id(skel, url.start)):
                continue
            start, end = url.host
            if end - start > _MAX_HOST or "_" in skel[start:end]:
                continue
            exact, shape = v.lower[start:end], skel[start:end]
            path = skel[end : url.end]
            if path.startswith(":") and not path[1:2].isdigit():
                path = ""
            strong = bool(url.prefixed or path)
            key = (exact, strong)
            if not strong and key in seen:
                continue
            seen.add(key)
            host, spoofed = _public_host(exact, shape)
            if host is None:
                continue
            bare = host.removeprefix("www.")
            if bare == "matrix.to" or bare.endswith(".matrix.to"):
                finding = self._matrix(skel[url.start : url.end])
                if finding is None:
                    continue
                if finding.kind == "invite" and self.invite_links:
                    return finding
            if bare in ("discord.com", "discordapp.com") and path.startswith("/channels/"):
                g = _DISCORD_MESSAGE.search(skel[url.start : url.end])
                if g and (g.group(1) in self.own_guilds or g.group(1) == "@me"):
                    continue
            if not spoofed and _allowed(_ascii_host(bare), self.allow_domains):
                continue
            if strong:
                return Finding("link", bare)
            if not self._bare_link(v, bare, start, end):
                continue
            evasive = spoofed or exact in v.evasive or "xn--" in exact or any(
                bare.startswith(d + ".") for d in self.allow_domains)  # example.org.evil.com
            if not evasive and written is not None:
                evasive = exact not in written and exact not in v.loose
            if not evasive:
                if signal is None:
                    signal = repeated or _SALES.search(skel) is not None or (
                        _CONTACT_HINT.search(skel) is not None)
                if not signal:
                    continue
            return Finding("link", bare)
        return None

    @staticmethod
    def _bare_link(v: View, host: str, start: int, end: int) -> bool:
        """Whether a bare ``host`` may be a link at all (not a tech name, file or sentence)."""
        name, _, tld = host.rpartition(".")
        if host in TECH_NAMES or tld in FILE_SUFFIXES or name in FUNCTION_WORDS:
            return False
        if len(v.base) == len(v.lower) and tld not in _NEVER_WORDS:
            written = v.base[start:end].rsplit(".", 1)[-1]
            # "the club.Shop opens at 9", "Thanks.It was great": a sentence missing a space.
            if len(written) > 1 and written[0].isupper() and written[1:].islower():
                return False
        return True

    def _matrix(self, text: str) -> Finding | None:
        """A matrix.to link: None when it points inside the community or at a person."""
        m = _MATRIX_TO.search(text)
        if m is None:
            return Finding("link", "matrix.to")
        target = unquote(m.group(1)).split("?", 1)[0]
        if target.startswith("@"):
            return None  # a person, not a room
        room = target.split("/", 1)[0]
        if room in self.internal_rooms:
            return None
        return Finding("invite", f"matrix.to/#/{room}")

    def _contact(self, skel: str) -> Finding | None:
        if "@" in skel:
            for email in _EMAIL.finditer(skel):
                host = email.group(1)
                if _psl().publicsuffix(host) and not _allowed(host, self.allow_domains):
                    return Finding("contact", email.group(0))
        if _APP_WORD.search(skel):  # every English contact pattern names an app
            for m in _CONTACT.finditer(skel):
                start = m.start()
                if start and skel[start - 1].isalnum():
                    continue
                handle = m.group(_HANDLE_BARE)
                if handle is not None and len(handle) < 5:
                    continue
                return Finding("contact", m.group(0).strip())
        handle = pitches.contact_zh(skel)
        if handle is not None:
            return Finding("contact", handle)
        if _SEVEN_DIGITS.search(skel):
            for phone in _PHONE.finditer(skel):
                start, end = phone.span()
                before = skel[start - 1] if start else " "
                after = skel[end : end + 2]
                if before.isalnum() or before in "+." or (after[:1].isdigit()) or (
                    after[:1] == "." and after[1:2].isdigit()
                ):
                    continue
                if not 8 <= _digits(phone.group(0)) <= 15:
                    continue
                if _NOT_A_PHONE.search(skel[max(0, start - 40) : start]):
                    continue
                return Finding("phone", phone.group(0).strip())
        return None


    @staticmethod
    def _pitches(skel: str) -> Finding | None:
        shop = pitches.shop_search(skel)
        if shop is not None:
            return Finding("shop", shop)
        said = pitches.pitch(skel)
        return None if said is None else Finding("pitch", said)


def _written_hosts(raw: str) -> set[str]:
    """Hosts written as-is in the raw text (lower-cased): the others were disguised."""
    lower = raw.lower()
    return {lower[url.host[0] : url.host[1]] for url in _urls(lower)}


@dataclass(frozen=True, slots=True)
class _Url:
    start: int
    end: int
    prefixed: bool  # written with a scheme or "www."
    host: tuple[int, int]  # where the host is (longer than _MAX_HOST when it is no host at all)


def _urls(text: str) -> Iterator[_Url]:
    """Every link-shaped span of ``text``, in one RE2 pass (its groups cost more than this)."""
    for m in _URL.finditer(text):
        start, end = m.span()
        host_start = start
        cut = _HOST_END.search(text, start, end)
        prefixed = False
        if cut is not None and text.startswith("://", cut.start()):
            scheme = text[start : cut.start()]
            if scheme[:1].isalpha() and _SCHEME_CHARS.issuperset(scheme):
                host_start, prefixed = cut.end() + 2, True
                cut = _HOST_END.search(text, host_start, end)
        host_end = end if cut is None else cut.start()
        if text.startswith("www.", host_start) and "." in text[host_start + 4 : host_end]:
            host_start, prefixed = host_start + 4, True
        yield _Url(start, end, prefixed, (host_start, host_end))


def _server_of_id(text: str, at: int) -> bool:
    """Whether the host at ``at`` is the server part of a Matrix id (``@bob:example.org``)."""
    if at == 0 or text[at - 1] != ":":
        return False
    token_start = text.rfind(" ", 0, at) + 1
    return text[token_start : token_start + 1] in ("@", "#", "!")


@lru_cache(maxsize=4096)
def _public_host(exact: str, shape: str) -> tuple[str | None, bool]:
    """The host (None when its suffix is not a public suffix) and whether it imitates another.

    ``shape`` is ``exact`` with lookalike letters mapped to Latin ones: a host that mixes
    scripts in a label, or whose suffix is only real once mapped (``.соm``), imitates one;
    it is then shown in its punycode form (``xn--exmple-4nf.org``), which no one misreads.
    """
    psl = _psl()
    if psl.publicsuffix(exact) is not None and psl.privatesuffix(exact) is not None:
        spoofed = exact != shape and any(mixed_script(label) for label in exact.split("."))
        return (_ascii_host(exact) if spoofed else exact), spoofed
    if exact != shape and psl.publicsuffix(shape) is not None and psl.privatesuffix(shape) is not None:
        return _ascii_host(exact), True
    return None, False


# -- repeats ---------------------------------------------------------------------------------
MIN_REPEAT_CHARS = 16


def repeat_key(text: str) -> int | None:
    """A fingerprint of "the same text" (case, spacing, lookalikes ignored); None when too short.

    A 64-bit hash, salted per process: the tracker lives in memory only.
    """
    folded = fold(text)
    if len(folded) < MIN_REPEAT_CHARS:
        return None
    return hash(folded)


@dataclass(slots=True)
class _Copy:
    when: datetime
    key: int
    message_id: str
    ref: Any


# What one remembered copy and one member cost besides their ids (measured on CPython 3.11).
_COPY_BYTES = 120
_MEMBER_BYTES = 160


class RepeatTracker:
    """Recent fingerprints of each member's texts, bounded in time and in bytes.

    ``record`` returns ``(ref, message_id)`` of each earlier copy when this is at least the
    ``copies``-th copy of the same text within ``within`` (in any channels). Only the
    fingerprint of each text (:func:`repeat_key`) is kept, never the text or the message, with the
    caller's small ``ref`` (a channel, to delete the copy). Copies older than
    ``within`` are dropped; at most ``max_texts`` per member are kept, and the least
    recently active members are forgotten when the estimate passes ``max_bytes``.
    """

    def __init__(
        self, copies: int, within: timedelta, *, max_texts: int = 32, max_bytes: int = 8 << 20
    ) -> None:
        self.copies = copies
        self.within = within
        self.max_texts = max_texts
        self.max_bytes = max_bytes
        self.bytes = 0
        self._members: OrderedDict[Any, list[_Copy]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._members)

    @staticmethod
    def _size(copy: _Copy) -> int:
        return _COPY_BYTES + len(copy.message_id)

    def _drop_member(self, member: Any) -> None:
        seen = self._members.pop(member, None)
        if seen is not None:
            self.bytes -= _MEMBER_BYTES + sum(self._size(c) for c in seen)

    def _expire(self, now: datetime) -> None:
        """Forget members whose latest copy is older than ``within`` (the LRU front first)."""
        horizon = now - self.within
        while self._members:
            member, seen = next(iter(self._members.items()))
            if seen and seen[-1].when >= horizon:
                break
            self._drop_member(member)

    def seen(self, member: Any, key: int | None, now: datetime, message_id: str) -> bool:
        """Whether ``member`` posted the text with fingerprint ``key`` within ``within`` before."""
        seen = self._members.get(member) if self.copies >= 2 and key is not None else None
        if not seen:
            return False
        horizon = now - self.within
        return any(c.key == key and c.when >= horizon and c.message_id != message_id for c in seen)

    def record(
        self, member: Any, key: int | None, when: datetime, message_id: str, ref: Any = None
    ) -> list[tuple[Any, str]] | None:
        """Remember one copy (``key`` from :func:`repeat_key`); the earlier copies on the last."""
        if self.copies < 2 or key is None:
            return None
        self._expire(when)
        seen = self._members.get(member)
        if seen is None:
            seen = self._members[member] = []
            self.bytes += _MEMBER_BYTES
        else:
            self._members.move_to_end(member)
        horizon = when - self.within
        while seen and seen[0].when < horizon:
            self.bytes -= self._size(seen.pop(0))
        same = [c for c in seen if c.key == key]
        if any(c.message_id == message_id for c in same):
            return None  # an edit of a message already counted
        if len(same) + 1 >= self.copies:
            for c in same:
                seen.remove(c)
                self.bytes -= self._size(c)
            return [(c.ref, c.message_id) for c in same]
        copy = _Copy(when, key, message_id, ref)
        seen.append(copy)
        self.bytes += self._size(copy)
        if len(seen) > self.max_texts:
            self.bytes -= self._size(seen.pop(0))
        while self.bytes > self.max_bytes and len(self._members) > 1:
            self._drop_member(next(iter(self._members)))
        return None

    def forget(self, member: Any) -> None:
        self._drop_member(member)
