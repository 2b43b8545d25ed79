"""Ads written without a link: Chinese contact evasions, shop-search redirects, private-chat pitches.

What WeChat- and QQ-style groups actually see, read from the skeleton of
:func:`~.normalise.view` (NFKC, so full-width letters and the full-width colon
``：`` are plain ASCII; lower case; spaces collapsed):

* :func:`contact_zh`: a WeChat, QQ or Telegram handle under any of the names
  spammers use for the app (威信, 薇信, V信, vx, wx, 扣扣, 飞机…), after a
  colon, after ``号`` (微信号 teashop88, QQ号123456789), after "add" (加V
  teashop88), or bare when the handle holds a digit (vx tea_88).
* :func:`shop_search`: "search this on Taobao/Xianyu/Pinduoduo…" pointing at a
  shop (淘宝搜：老王茶铺, 闲鱼搜【…】, …店铺), and the "copy and open Taobao" tokens.
* :func:`pitch`: moving the buyer to a private chat (私聊/私信/加我/DM me) with a
  price, a sale or buying word, or "those interested" within a few characters
  (价格私聊, 需要的私信我, 出一把壶，300元，要的加我; "DM me for prices").

Saying "I DM'd you" (我私聊你了), "DM the seller" (私聊卖家), "I searched
Taobao" (淘宝搜了一下) or naming a price in passing is ordinary chat: each
detector checks who is invited where before it counts. Every pattern is RE2
(linear time); the checks around a match look at a bounded window, so the cost
stays linear in the message.
"""

from __future__ import annotations

import re

from hearth.plugins.ad_window.normalise import rx

# -- the apps, under the names used to dodge filters ---------------------------------------
_WECHAT = r"(?:[微威薇维徽围卫] ?信|微 ?心|v ?信|vx|wx|weixin|wechat|微 ?x|卫星|绿泡泡)"
_QQ = r"(?:qq|扣扣|抠抠|企鹅)"
_TELEGRAM = r"(?:电报|纸?飞机|tg|telegram)"
_APP = rf"(?:{_WECHAT}|{_QQ}|{_TELEGRAM})"
_HANDLE = r"@?([a-z0-9][a-z0-9_\-]{4,19})"  # WeChat ids are 6-20 characters, QQ numbers 5-11 digits

# One RE2 pass; the group that matched says which way the handle was written.
_CONTACT = rx(
    # 1: 加我微信 teashop88, 加V：teashop88, +vx abc123, 联系扣扣 12345678
    rf"(?:加我?|\+|联系|私聊|私信|找我|添加|加个|加下) ?(?:{_APP}|v|微) ?(?:号|id)? ?[:=]? ?{_HANDLE}"
    # 2: 微信号 teashop88, QQ号123456789, V信号是 tea_88
    rf"|{_APP} ?(?:号码?|id) ?(?:是|为)? ?[:=]? ?{_HANDLE}"
    # 3: QQ：123456 (a full-width colon is a colon in the skeleton), 威信: teashop
    rf"|{_APP} ?[:=] ?@?([a-z0-9][a-z0-9_\-]{{3,19}})"
    # 4: vx tea_88, qq 12345678: bare, so only a handle with a digit or underscore counts
    rf"|{_APP} ?([a-z0-9][a-z0-9_\-]{{4,19}})"
)
_BARE = 4
# Cheap (bounded, Python's re): the text names one of the apps, or "add V".
CONTACT_HINT = re.compile(
    r"[微威薇维徽围卫扣抠企电飞]|v ?信|[加+] ?v|qq|vx|wx|tg|weixin|wechat|telegram|绿泡泡")


def _ascii_word_before(skel: str, at: int) -> bool:
    """Whether an ASCII letter or digit touches position ``at`` from the left ("wwx", "outgoing")."""
    return at > 0 and skel[at - 1].isascii() and skel[at - 1].isalnum()


def _ascii_word_after(skel: str, at: int) -> bool:
    return at < len(skel) and skel[at].isascii() and (skel[at].isalnum() or skel[at] in "_-")


def contact_zh(skel: str) -> str | None:
    """The Chinese-style contact handle in ``skel`` (its evidence), or None."""
    if CONTACT_HINT.search(skel) is None:
        return None
    for m in _CONTACT.finditer(skel):
        if _ascii_word_before(skel, m.start()) or _ascii_word_after(skel, m.end()):
            continue
        handle = m.group(_BARE)
        if handle is not None and not any(ch.isdigit() or ch == "_" for ch in handle):
            continue
        return str(m.group(0)).strip()
    return None


# -- shop-search redirects -----------------------------------------------------------------
_PLATFORM = (
    r"(?:淘宝|某宝|手淘|tao ?bao|tb|闲鱼|咸鱼|xianyu|拼多多|拼夕夕|pdd|京东|jd|抖音|dy|快手"
    r"|小红书|红书|xhs|微店|得物|转转|天猫|tmall)"
)
_SHOP_SEARCH = rx(rf"{_PLATFORM} ?(?:app)? ?(?:上|里|中)? ?(?:搜索?|搜一搜|搜一下|搜下)")
# What follows the search when it names a shop: a colon or an opening bracket, or shop words.
_SHOP_NAMED = rx(
    r"^ ?[:【「『《\[]|店铺|小铺|小店|旗舰店|专卖店|官方店|工作室|进店|领券|优惠券|拍下|口令|同款"
)
_SHOP_WINDOW = 25
_NOT_NAMING = "了不过到得"  # 搜了 (searched), 搜不到 (cannot find), 搜过, 搜到, 搜得到
# "Copy this and open Taobao", and the share tokens it is said of (¥AbC123dEf4¥).
_TOKEN_MARK = re.compile(r"[¥€$₳₴£][a-z0-9]")
_SHOP_TOKEN = rx(
    r"复制.{0,30}打开.{0,8}(?:淘宝|手淘|闲鱼|拼多多|京东|抖音|天猫)|[¥€$₳₴£][a-z0-9]{8,14}[¥€$₳₴£]"
)


_CLAUSE_END = re.compile(r"[,.!?;~\n】」』》\]]")


def _clause(skel: str, start: int, end: int) -> str:
    """``skel[start:end]`` carried on to the end of its clause (at most a few words more)."""
    stop = _CLAUSE_END.search(skel, end, end + _SHOP_WINDOW)
    last = stop.end() if stop is not None else min(len(skel), end + _SHOP_WINDOW)
    return skel[start:last].strip()


def shop_search(skel: str) -> str | None:
    """The shop-search redirect in ``skel`` (its evidence), or None."""
    if "搜" in skel:
        for m in _SHOP_SEARCH.finditer(skel):
            start, end = m.span()
            if _ascii_word_before(skel, start) or skel[end : end + 1] in tuple(_NOT_NAMING):
                continue
            named = _SHOP_NAMED.search(skel[end : end + _SHOP_WINDOW])
            if named is not None:
                return _clause(skel, start, end + named.end())
    if "复制" not in skel and _TOKEN_MARK.search(skel) is None:
        return None
    token = _SHOP_TOKEN.search(skel)
    return None if token is None else str(token.group(0))


# -- pitches that move the buyer to a private chat -----------------------------------------
_PRIVATE_ZH = rx(
    r"私 ?聊|私 ?信|私 ?我|私戳|私 ?(?:$|[,.!~])|滴滴我?|dd ?我|戳我|找我|联系我"
    r"|加我|加 ?v|加 ?微|\+ ?v|\+ ?微|加好友"
)
_PRIVATE_HINT = re.compile(r"私|滴滴|dd ?我|戳我|找我|联系我|加我|加 ?[v微]|\+ ?[v微]|加好友")  # bounded
# Someone saying what they (or you) did or will do, not inviting the reader: 我私聊你了.
_SPEAKER_BEFORE = frozenset("我你他她它已刚在都先再会去自")
_TARGET_AFTER = ("你", "他", "她", "它", "了", "过", "群主", "管理", "卖家", "客服", "老板", "店主", "版主")
_ADD_ME_AFTER = ("一", "进", "入")  # 加我一个 (count me in), 加我进群
_SALE_ZH = rx(
    r"出售|出货|出手|转让|转卖|低价|特价|优惠|便宜|批发|代购|货源|一手|包邮|正品|现货|有货|价格|价钱"
    r"|价位|报价|原价|折扣|打折|秒杀|团购|福利|领取|领券|下单|购买|代理|加盟|招募|兼职|日结|返利|返现"
    r"|佣金|收益|赚钱|挣钱|投资|理财|回本|月入|日入|\d ?(?:元|块|rmb|万)|¥ ?\d|出(?:一|个|只|套|台|把|几)"
    r"|卖|收(?:一|个|只|套|台|把)"
    # those interested: 需要的, 想要的, 有意者 (not 重要的 "important", 有意思 "interesting")
    r"|需要的|(?:^|[^重主必])要的|有意(?:者|向|购)|感兴趣|有兴趣|详情|咨询"
)
_PITCH_WINDOW = 30

_PRIVATE_EN = rx(r"\b(?:dm|pm|inbox|message|msg|text|whatsapp|contact) me\b")
# "DM me for prices" says "sale" by itself; "DM me for details" or "if interested" only
# beside a sale word ("dm me for details about the picnic" is chat).
_PITCH_EN = rx(
    r"^(?: now| today| asap)? (?:for (?:(?:the|more|a|my|our|best|great|latest|wholesale|bulk) ){0,2}"
    r"(?:price|prices|pricing|orders?|deals?|discounts?|offers?|catalog(?:ue)?|rates|quotes?)\b"
    r"|to (?:buy|order|purchase|get yours|get one)\b)"
)
_PITCH_EN_WEAK = rx(
    r"^(?: now| today| asap)?(?: for (?:more )?(?:details|info)\b|,? if (?:you(?:'re| are)? )?interested\b)"
)
_SALE_EN = rx(
    r"\b(?:buy|sale|sell|selling|prices?|pricing|cheap|discounts?|deals?|offers?|wholesale|promo"
    r"|coupons?|stock|invest|investment|profit|income|earn|crypto|forex|loans?)\b|[$€£¥] ?\d"
)
_ASKING = ("you ", "u ", "pls ", "please ")  # "can you dm me the price": a buyer asking


def _invites(skel: str, start: int, end: int) -> bool:
    """Whether the private-chat phrase at ``start:end`` invites the reader (not a report of a DM)."""
    before = skel[start - 1 : start] if start else ""
    if before == " " and start > 1:
        before = skel[start - 2]
    if before in _SPEAKER_BEFORE:
        return False
    phrase = skel[start:end].replace(" ", "").rstrip(",.!~")
    after = skel[end:end + 3].lstrip()
    if phrase in ("私聊", "私信") and after.startswith(_TARGET_AFTER):
        return False
    return not (phrase == "加我" and after.startswith(_ADD_ME_AFTER))


def pitch(skel: str) -> str | None:
    """The pitch moving buyers to a private chat in ``skel`` (its evidence), or None."""
    if not skel.isascii() and _PRIVATE_HINT.search(skel) and _SALE_ZH.search(skel):
        for m in _PRIVATE_ZH.finditer(skel):
            start, end = m.span()
            if not _invites(skel, start, end):
                continue
            lo = max(0, start - _PITCH_WINDOW)
            sale = _SALE_ZH.search(skel[lo : end + _PITCH_WINDOW])
            if sale is not None:
                first, last = min(start, lo + sale.start()), max(end, lo + sale.end())
                return skel[first:last].strip()
    if " me" in skel:
        for m in _PRIVATE_EN.finditer(skel):
            start, end = m.span()
            if skel[max(0, start - 8) : start].endswith(_ASKING):
                continue
            tail = skel[end : end + 60]
            said = _PITCH_EN.search(tail)
            if said is None:
                said = _PITCH_EN_WEAK.search(tail)
                if said is None or _SALE_EN.search(skel) is None:
                    continue
            return skel[start : end + said.end()].strip()
    return None
