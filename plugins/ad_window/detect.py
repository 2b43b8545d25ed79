"""Ad detection: pure and fast (it runs on every message in the moderation phase).

:class:`Detector` looks at one text: links outside the allow-list, invite links
to other servers or rooms, contact handles, phone numbers and the operator's
extra patterns. Text written to dodge filters (``hxxp``, ``[.]``, ``(dot)``,
spaces around dots, full-width characters) is normalised first, but only after
a cheap check says the text could hold an ad at all: most chat never reaches
the regular expressions. :class:`RepeatTracker` finds the same text posted
again and again (in memory, bounded).
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import unquote

Kind = Literal["invite", "link", "contact", "phone", "pattern", "repeat"]


@dataclass(frozen=True, slots=True)
class Finding:
    """Why a text is an ad: its ``kind`` and the ``evidence`` (a domain, a handle, a number…)."""

    kind: Kind
    evidence: str


# -- the cheap check -----------------------------------------------------------------------
# An ASCII text with none of these cannot hold a link, handle or phone number.
_TRIGGER = re.compile(r"[.:@_/]|\d\d\d|dot|hxxp", re.IGNORECASE)

# -- normalisation -------------------------------------------------------------------------
_DOT_WORDS = re.compile(
    r"\s*(?:\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\{\s*(?:\.|dot)\s*\}|<\s*(?:\.|dot)\s*>)\s*"
    r"|(?<=[a-z0-9])\s+dot\s+(?=[a-z0-9])",
    re.IGNORECASE,
)
_HXXP = re.compile(r"\bh(?:xx|\*\*|tt)p(s?)\s*(?::|\[:\])\s*/\s*/", re.IGNORECASE)
_ODD_DOTS = str.maketrans({"。": ".", "｡": ".", "・": ".", "·": "."})


def normalise(text: str) -> str:
    """``text`` with common filter evasions undone (full-width, ``hxxp``, ``[.]``, ``(dot)``)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_ODD_DOTS)
    if "xx" in text or "XX" in text or "**" in text or "tt" in text:
        text = _HXXP.sub(r"http\1://", text)
    if "dot" in text or "DOT" in text or "Dot" in text or "[" in text or "(" in text or "{" in text:
        text = _DOT_WORDS.sub(".", text)
    return text


# -- links ---------------------------------------------------------------------------------
# Top-level domains accepted in a bare "name.tld" with no scheme, "www." or path: common
# ones that are not also file extensions or everyday words (".py", ".md", ".it", ".in"…).
BARE_TLDS = frozenset(
    "com net org info biz io gg xyz top vip site online store shop club app dev blog tech "
    "cn ru uk de fr jp kr br tk ml ga cf gq su ws icu cyou sbs vn hk tw sg au ca eu nl es cc tv "
    "ly gl cx la".split()
)
# When the dots are spaced out ("spam . com", "spam. com") only the usual spam TLDs, written in
# lower case, count: "...in Berlin. Club nights" is a sentence, not a link.
_SPACED = re.compile(
    r"(?<![\w.@-])((?:[a-z0-9][a-z0-9-]*\s*\.\s*)+)"
    r"(com|net|org|cn|ru|xyz|top|io|gg|vip|info|biz|cc)(?![\w])"
)
_SPACED_HINT = re.compile(r"\.\s+(?:com|net|org|cn|ru|xyz|top|io|gg|vip|info|biz|cc)(?!\w)")
_DOT_LETTER = re.compile(r"\.[a-z]")  # every host name has one (before its top-level domain)
_SPACE_BEFORE_DOT = re.compile(r"\s\.\S")  # "I love .net", "the .com era": not a link
_URL = re.compile(
    r"(?<![\w@.-])(?P<scheme>[a-z][a-z0-9+.-]*://)?(?P<www>www\.)?"
    r"(?P<host>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?P<tld>[a-z]{2,24}|xn--[a-z0-9-]{2,59}))"
    r"(?![\w-])(?P<path>[:/?#][^\s<>\"']*)?"
)
_IP_URL = re.compile(r"[a-z][a-z0-9+.-]*://(?P<host>\d{1,3}(?:\.\d{1,3}){3})(?P<path>[:/?#][^\s]*)?")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@(?P<host>(?:[a-z0-9-]+\.)+[a-z]{2,24})(?![\w-])")
_DISCORD_INVITE = re.compile(
    r"(?:discord(?:app)?\.com/invite|discord\.gg|dsc\.gg|discord\.me|discord\.io|discord\.link)/[\w-]+"
)
_DISCORD_MESSAGE = re.compile(r"discord(?:app)?\.com/channels/(\d+|@me)")
_MATRIX_TO = re.compile(r"matrix\.to/#/([^\s/?\"'<>]+)")

# -- contact handles and phone numbers -----------------------------------------------------
_APPS_STRONG = r"(?:wechat|weixin|telegram|whatsapp|skype|viber|kakao\s?talk|kik|threema|wickr)"
_APPS_ALL = (
    r"(?:wechat|weixin|telegram|whatsapp|skype|viber|kakao(?:\s?talk)?|kik|threema|wickr|line|signal"
    r"|snapchat|snap|instagram|insta|ig|tg|qq|facebook|fb|messenger)"
)
# After a colon anything handle-like counts; without one, only what looks like a handle
# (@name, or a token with a digit or underscore): "my line is busy" is not a contact.
_SEP_HANDLE = (
    r"\s*(?:id|handle|number|no\.?|account|\#)?\s*"
    r"(?:[:=]\s*(@?[a-z0-9+][\w.+-]{2,})"
    r"|(?:\s+is)?\s+(?=[\w@.+-]{5,})(@[a-z0-9][\w.]+|[a-z0-9.+-]*(?:\d|_)[\w.+-]*))"
)
_CONTACT = re.compile(
    # "wechat: tea_lover", "telegram id is @teashop"
    rf"\b{_APPS_STRONG}{_SEP_HANDLE}"
    # "add me on WeChat/Telegram: tealover", "dm me on IG @teashop"
    rf"|\b(?:add|contact|dm|message|msg|text|call|reach|find|ping|hit|follow)\s+me\s+(?:up\s+)?"
    rf"(?:on|at|via|in|@)\s*{_APPS_ALL}(?:\s*/\s*{_APPS_ALL})*{_SEP_HANDLE}"
    # "my whatsapp: +44…", "my ig @teashop"
    rf"|\bmy\s+{_APPS_ALL}{_SEP_HANDLE}",
    re.IGNORECASE,
)
_CONTACT_ZH = re.compile(
    r"(?:加我?|联系|私聊|私信|找我)\s*(?:微信|威信|薇信|vx|wx|v|qq|扣扣|电报|tg|飞机)\s*号?\s*[:：]?\s*"
    r"([a-z0-9][a-z0-9_\-]{4,})"
    r"|(?:微信|威信|薇信|vx|wx|qq|扣扣|电报|飞机)\s*号?\s*[:：]\s*([a-z0-9][a-z0-9_\-]{3,})",
    re.IGNORECASE,
)
# Every English contact pattern names an app: a substring test rules most chat out cheaply.
_APP_WORDS = (
    "wechat", "weixin", "telegram", "whatsapp", "skype", "viber", "kakao", "kik", "threema", "wickr",
    "line", "signal", "snap", "insta", "ig", "tg", "qq", "facebook", "fb", "messenger",
)
_ZH_HINT = re.compile(r"[微威薇扣电飞加联私找]")
_SEVEN_DIGITS = re.compile(r"\d(?:[\s().\-]{0,3}\d){6}")
_PHONE = re.compile(
    # international: +86 138 0013 8000, 0044 20 7946 0958, +1 (555) 123-4567
    r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}[\s.\-]?(?:\(\d{1,4}\)[\s.\-]?)?\d{1,5}(?:[\s.\-]?\d{1,5}){1,5}(?!\d)"
    # Chinese mobile: 138 0013 8000, 13800138000
    r"|(?<![\d.])1[3-9]\d(?:[\s\-]?\d{4}){2}(?![\d.])"
    # North American: (555) 123-4567, 555-123-4567
    r"|(?<![\d.])(?:\([2-9]\d\d\)\s?|[2-9]\d\d[\s.\-])\d{3}[\s.\-]\d{4}(?![\d.])"
    # national with trunk prefix: 020 7946 0958
    r"|(?<![\d.])0\d{2,4}[\s\-]\d{3,4}[\s\-]\d{3,4}(?![\d.])"
)


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _allowed(host: str, allow: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in allow)


@dataclass(frozen=True, slots=True)
class Detector:
    """What counts as an ad in one community (built from the ``detect:`` config).

    ``internal_rooms`` are the community's own Matrix room ids/aliases (links to them
    are not invitations elsewhere); ``own_guilds`` its Discord guild ids.
    """

    allow_domains: tuple[str, ...] = ()
    invite_links: bool = True
    contact_handles: bool = True
    patterns: tuple[re.Pattern[str], ...] = ()
    internal_rooms: frozenset[str] = frozenset()
    own_guilds: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        *,
        allow_domains: Iterable[str] = (),
        invite_links: bool = True,
        contact_handles: bool = True,
        patterns: Iterable[str] = (),
        internal_rooms: Iterable[str] = (),
        own_guilds: Iterable[str] = (),
    ) -> Detector:
        return cls(
            allow_domains=tuple(d.lower() for d in allow_domains),
            invite_links=invite_links,
            contact_handles=contact_handles,
            patterns=tuple(re.compile(p, re.IGNORECASE) for p in patterns),
            internal_rooms=frozenset(r.lower() for r in internal_rooms),
            own_guilds=frozenset(own_guilds),
        )

    def detect(self, text: str) -> Finding | None:
        """The first reason ``text`` is an ad (invite, link, contact, phone, pattern), or None."""
        if not text:
            return None
        if text.isascii() and _TRIGGER.search(text) is None:
            return self._patterns(text, text) if self.patterns else None
        norm = normalise(text)
        lower = norm.lower()
        found = self._links(norm, lower)
        if found is None and self.contact_handles:
            found = self._contact(lower)
        if found is None and self.patterns:
            found = self._patterns(text, norm)
        return found

    # -- parts ---------------------------------------------------------------------------
    def _patterns(self, raw: str, norm: str) -> Finding | None:
        for pattern in self.patterns:
            m = pattern.search(raw) or (pattern.search(norm) if norm is not raw else None)
            if m:
                return Finding("pattern", m.group(0))
        return None

    def _links(self, norm: str, lower: str) -> Finding | None:
        if "." not in lower:
            return None
        found = self._strict(lower) if _DOT_LETTER.search(lower) else None
        if found is None:
            found = self._ip_link(lower)
        if found is not None or _SPACED_HINT.search(lower) is None:
            return found
        for m in _SPACED.finditer(norm):
            spaced = m.group(0)
            if not any(ch.isspace() for ch in spaced) or _SPACE_BEFORE_DOT.search(spaced):
                continue  # written without spaces (the strict scan judged it), or ".net"
            host = re.sub(r"\s+", "", spaced).lower().removeprefix("www.")
            if _allowed(host, self.allow_domains):
                continue
            return Finding("link", host)
        return None

    def _strict(self, lower: str) -> Finding | None:
        """Links written without spaces (after normalisation)."""
        if self.invite_links and ("discord" in lower or "dsc.gg" in lower):
            m = _DISCORD_INVITE.search(lower)
            if m:
                return Finding("invite", m.group(0))
        for m in _URL.finditer(lower):
            host = m.group("host")
            bare_host = host.removeprefix("www.")
            path = m.group("path") or ""
            if not (m.group("scheme") or m.group("www") or path.startswith("/")):
                if m.group("tld") not in BARE_TLDS or host.count(".") > 4:
                    continue
            if bare_host == "matrix.to" or host.endswith(".matrix.to"):
                finding = self._matrix(lower[m.start() :])
                if finding is None:
                    continue
                if finding.kind == "invite" and self.invite_links:
                    return finding
            if bare_host in ("discord.com", "discordapp.com") and path.startswith("/channels/"):
                g = _DISCORD_MESSAGE.search(lower, m.start())
                if g and (g.group(1) in self.own_guilds or g.group(1) == "@me"):
                    continue
            if _allowed(bare_host, self.allow_domains):
                continue
            return Finding("link", bare_host)
        return None

    @staticmethod
    def _ip_link(lower: str) -> Finding | None:
        if "://" in lower:
            for m in _IP_URL.finditer(lower):
                return Finding("link", m.group("host"))
        return None

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

    def _contact(self, lower: str) -> Finding | None:
        if "@" in lower:
            for email in _EMAIL.finditer(lower):
                if not _allowed(email.group("host"), self.allow_domains):
                    return Finding("contact", email.group(0))
        if any(word in lower for word in _APP_WORDS):
            m = _CONTACT.search(lower)
            if m:
                return Finding("contact", m.group(0).strip())
        if not lower.isascii() and _ZH_HINT.search(lower):
            m = _CONTACT_ZH.search(lower)
            if m:
                return Finding("contact", m.group(0).strip())
        if _SEVEN_DIGITS.search(lower):
            for phone in _PHONE.finditer(lower):
                if 8 <= _digits(phone.group(0)) <= 15:
                    return Finding("phone", phone.group(0).strip())
        return None


# -- repeats ---------------------------------------------------------------------------------
MIN_REPEAT_CHARS = 16


def repeat_key(text: str) -> int | None:
    """A key for "the same text" (case and spacing ignored); None for texts too short to count."""
    folded = " ".join(text.lower().split())
    if len(folded) < MIN_REPEAT_CHARS:
        return None
    return hash(folded)


@dataclass
class _Copies:
    seen: deque[tuple[datetime, str, Any]] = field(default_factory=deque)


class RepeatTracker:
    """Recent copies of each member's texts, in memory and bounded.

    ``record`` returns the earlier copies' payloads when this is at least the
    ``copies``-th copy of the same text within ``within`` (in any channels).
    Entries older than ``within`` are evicted; at most ``max_members`` members
    and ``max_texts`` texts per member are kept (least recently active dropped).
    """

    def __init__(
        self, copies: int, within: timedelta, *, max_members: int = 10_000, max_texts: int = 32
    ) -> None:
        self.copies = copies
        self.within = within
        self.max_members = max_members
        self.max_texts = max_texts
        self._members: OrderedDict[Any, OrderedDict[int, _Copies]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._members)

    def record(
        self, member: Any, text: str, when: datetime, message_id: str, payload: Any = None
    ) -> list[Any] | None:
        if self.copies < 2:
            return None
        key = repeat_key(text)
        if key is None:
            return None
        texts = self._members.get(member)
        if texts is None:
            texts = self._members[member] = OrderedDict()
            if len(self._members) > self.max_members:
                self._members.popitem(last=False)
        else:
            self._members.move_to_end(member)
        copies = texts.get(key)
        if copies is None:
            copies = texts[key] = _Copies()
            if len(texts) > self.max_texts:
                texts.popitem(last=False)
        else:
            texts.move_to_end(key)
        horizon = when - self.within
        seen = copies.seen
        while seen and seen[0][0] < horizon:
            seen.popleft()
        if any(mid == message_id for _, mid, _ in seen):
            return None  # an edit of a message already counted
        seen.append((when, message_id, payload))
        if len(seen) >= self.copies:
            earlier = [p for _, _, p in list(seen)[:-1]]
            seen.clear()
            return earlier
        return None

    def forget(self, member: Any) -> None:
        self._members.pop(member, None)
