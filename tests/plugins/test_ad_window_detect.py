"""ad_window's detectors: each kind of ad is caught, ordinary chat never is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hearth.plugins.ad_window.detect import Detector, RepeatTracker, repeat_key
from hearth.plugins.ad_window.normalise import view

DETECTOR = Detector.build(
    allow_domains=["example.org", "tea-wiki.net"],
    internal_rooms=["!gen:example.org", "#ads:example.org", "!space:example.org"],
    own_guilds=["123456789012345678"],
)


@pytest.mark.parametrize(
    ("text", "kind", "evidence"),
    [
        # links outside the allow-list
        ("Best deals at https://cheap-tea.com/sale", "link", "cheap-tea.com"),
        ("visit www.cheap-tea.biz today", "link", "cheap-tea.biz"),
        ("buy at spamshop.com now", "link", "spamshop.com"),
        ("t.me/teadeals for daily offers", "link", "t.me"),
        ("http://203.0.113.7/promo", "link", "203.0.113.7"),
        ("the rules are on example.org.evil.com", "link", "example.org.evil.com"),
        ("docs at https://notexample.org/x", "link", "notexample.org"),
        # evasions
        ("cheap-tea . com", "link", "cheap-tea.com"),
        ("cheap-tea. com for prices", "link", "cheap-tea.com"),
        ("cheap-tea (dot) com", "link", "cheap-tea.com"),
        ("cheap-tea dot com", "link", "cheap-tea.com"),
        ("cheap-tea[.]com", "link", "cheap-tea.com"),
        ("hxxps://cheap-tea.com/x", "link", "cheap-tea.com"),
        ("hxxp[:]//cheap-tea.com", "link", "cheap-tea.com"),
        ("ｃｈｅａｐ－ｔｅａ．ｃｏｍ", "link", "cheap-tea.com"),
        ("cheap-tea。com", "link", "cheap-tea.com"),
        ("ＨＴＴＰＳ：／／ｃｈｅａｐ．ｃｏｍ", "link", "cheap.com"),
        # invites to other servers and rooms
        ("join us discord.gg/teaparty", "invite", "discord.gg/teaparty"),
        ("https://discord.com/invite/AbC123", "invite", "discord.com/invite/abc123"),
        ("discord (dot) gg/teaparty", "invite", "discord.gg/teaparty"),
        ("https://matrix.to/#/#teaparty:evil.org", "invite", "matrix.to/#/#teaparty:evil.org"),
        ("https://matrix.to/#/!abc:evil.org?via=evil.org", "invite", "matrix.to/#/!abc:evil.org"),
        ("matrix.to/#/%23party%3Aevil.org", "invite", "matrix.to/#/#party:evil.org"),
        # contact handles
        ("add me on WeChat/Telegram/WhatsApp: tealover88", "contact",
         "add me on wechat/telegram/whatsapp: tealover88"),
        ("wechat: tea_lover", "contact", "wechat: tea_lover"),
        ("Telegram ID is @teashop", "contact", "telegram id is @teashop"),
        ("dm me on ig @tea.shop for prices", "contact", "dm me on ig @tea.shop"),
        ("my whatsapp: teashop", "contact", "my whatsapp: teashop"),
        ("加我微信 teashop88", "contact", "加我微信 teashop88"),
        ("微信：abc1234 优惠多多", "contact", "微信:abc1234"),
        ("联系vx：teashop", "contact", "联系vx:teashop"),
        # Chinese evasions (issue 17): homophones and abbreviations of WeChat, 号 + handle,
        # QQ with a full-width colon
        ("威信：teashop88", "contact", "威信:teashop88"),
        ("薇信 teashop_88", "contact", "薇信 teashop_88"),
        ("V信：tea88888", "contact", "v信:tea88888"),
        ("加V：teashop88", "contact", "加v:teashop88"),
        ("vx：teashop88", "contact", "vx:teashop88"),
        ("微信号 teashop88", "contact", "微信号 teashop88"),
        ("微信号是tea_lover88", "contact", "微信号是tea_lover88"),
        ("QQ号123456789", "contact", "qq号123456789"),
        ("QQ：123456789", "contact", "qq:123456789"),
        ("扣扣：87654321", "contact", "扣扣:87654321"),
        ("飞机：@teashop88", "contact", "飞机:@teashop88"),
        ("qq: 12345678", "contact", "qq: 12345678"),
        # shop-search redirects
        ("淘宝搜：老王茶铺", "shop", "淘宝搜:老王茶铺"),
        ("闲鱼搜【老王紫砂】有惊喜", "shop", "闲鱼搜【老王紫砂】"),
        ("拼多多搜索 老王茶叶旗舰店", "shop", "拼多多搜索 老王茶叶旗舰店"),
        ("复制¥AbC123dEf4¥打开手机淘宝", "shop", "复制¥abc123def4¥打开手机淘宝"),
        # pitches that move the buyer to a private chat
        ("价格私聊", "pitch", "价格私聊"),
        ("出一把紫砂壶，300元，要的私聊", "pitch", "出一把紫砂壶,300元,要的私聊"),
        ("有需要的加我，一手货源", "pitch", "需要的加我"),
        ("加V领取优惠券", "pitch", "加v领取"),
        ("低价出几饼老班章，有兴趣的私", "pitch", "低价出几饼老班章,有兴趣的私"),
        ("DM me for prices", "pitch", "dm me for prices"),
        ("Selling my old teapots, dm me if interested", "pitch", "dm me if interested"),
        ("write to sales@cheap-tea.com", "contact", "sales@cheap-tea.com"),
        # phone numbers
        ("call +86 138 0013 8000", "phone", "+86 138 0013 8000"),
        ("+1 (555) 123-4567 for orders", "phone", "+1 (555) 123-4567"),
        ("+44 20 7946 0958", "phone", "+44 20 7946 0958"),
        ("0049 30 123456", "phone", "0049 30 123456"),
        ("13800138000", "phone", "13800138000"),
        ("138-0013-8000", "phone", "138-0013-8000"),
        ("(555) 123-4567", "phone", "(555) 123-4567"),
        ("555.123.4567", "phone", "555.123.4567"),
        ("020 7946 0958", "phone", "020 7946 0958"),
        ("电话：１３８００１３８０００", "phone", "13800138000"),
    ],
)
def test_ads_are_detected(text, kind, evidence):
    found = DETECTOR.detect(text)
    assert found is not None, text
    assert (found.kind, found.evidence) == (kind, evidence)


ORDINARY = [
    "",
    "good morning everyone",
    "has anyone tried the new oolong from the market?",
    "I went hiking yesterday. It was great.",
    "Thanks.It was great",
    "moved to Berlin. Club nights are fun",
    "I love .NET and the .com era is over",
    "ok. me too",
    "the rules are on example.org",
    "see https://example.org/rules and www.example.org",
    "the wiki: https://docs.tea-wiki.net/oolong",
    "forum.example.org has a thread on it",
    "mail the admins at admins@example.org",
    "matrix.to/#/!gen:example.org is our general room",
    "https://matrix.to/#/#ads:example.org for ads",
    "https://matrix.to/#/!gen:example.org/$event123?via=example.org",
    "ping https://matrix.to/#/@bob:elsewhere.org",
    "https://discord.com/channels/123456789012345678/2222/3333",
    "meeting at 20:00 on 2026-11-20",
    "at 10:30 tomorrow, 3:2 final score",
    "pi is 3.14159 and e is 2.71828",
    "upgrade to python 3.11.2",
    "version v2.0.1 released",
    "it costs $1,299.00 or ¥8,999",
    "price is 12.50 per 100g",
    "the year 2026 and 1999",
    "order number 2026112012345",
    "edit main.py and README.md, then run setup.sh",
    "node.js vs deno, file.txt",
    "e.g. this; i.e. that; a.m. and p.m.",
    "my line is busy",
    "whatsapp is great for family chats",
    "I use Telegram and WeChat with my parents",
    "add me on wechat later please",
    "my signal is weak in the mountains",
    "polka dot dress, connect the dots",
    "今天天气不错，一起喝茶吧",
    "我用微信和家人聊天",
    "泡茶水温：85度",
    "@alice thanks!",
    "+1 good idea",
    "10/10 would brew again",
    "score +15 points",
    "temps: 95°C for pu-erh, 80°C for green",
    "Ｈｅｌｌｏ ｅｖｅｒｙｏｎｅ",
    "call me later",
    # Chinese near-misses (issue 17): prices, platforms, apps and numbers in ordinary chat
    "我私聊你了",
    "我已经私信管理员了",
    "有问题可以私聊我",
    "私聊卖家问问价格吧",
    "重要的事情私聊我",
    "加我一个，周六一起喝茶",
    "我在淘宝搜了一下，价格都差不多",
    "淘宝搜不到这个茶",
    "你可以去闲鱼搜搜看，二手的便宜",
    "我在拼多多买的，才30块",
    "我的微信号被封了",
    "微信：我已经发给你了",
    "我的QQ号忘记了",
    "卫星发射成功了",
    "can you dm me the price you paid?",
    "text me for details about the picnic",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_chat_is_not_an_ad(text):
    assert DETECTOR.detect(text) is None


def test_invite_links_off_judges_invites_as_links():
    detector = Detector.build(invite_links=False)
    found = detector.detect("join discord.gg/teaparty")
    assert found is not None and (found.kind, found.evidence) == ("link", "discord.gg")
    allowed = Detector.build(invite_links=False, allow_domains=["discord.gg"])
    assert allowed.detect("join discord.gg/teaparty") is None
    assert Detector.build(allow_domains=["discord.gg"]).detect("join discord.gg/x").kind == "invite"


def test_contact_handles_off_ignores_handles_and_phones():
    detector = Detector.build(contact_handles=False)
    assert detector.detect("wechat: tea_lover") is None
    assert detector.detect("call +86 138 0013 8000") is None
    assert detector.detect("cheap-tea.com").kind == "link"


def test_extra_patterns_match_raw_and_normalised_text():
    detector = Detector.build(patterns=[r"free\s+samples?", r"cheap-tea\.com"])
    assert detector.detect("FREE samples for everyone").kind == "pattern"
    assert detector.detect("ｆｒｅｅ ｓａｍｐｌｅ").kind == "pattern"
    assert detector.detect("nothing to see") is None


def test_subdomains_of_allowed_domains_are_allowed_but_lookalikes_are_not():
    detector = Detector.build(allow_domains=["example.org"])
    assert detector.detect("https://a.b.example.org/x") is None
    assert detector.detect("https://example.org.cheap.com").kind == "link"
    assert detector.detect("https://myexample.org").kind == "link"


def test_normalise_undoes_evasions_only():
    assert view("a (dot) b [.] c").base == "a.b.c"
    assert view("hxxps://x.com").base == "https://x.com"
    assert view("plain text").base == "plain text"


# --------------------------------------------------------------------------- repeats

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TEXT = "Great oolong for sale, message me"


def test_repeat_third_copy_within_the_span_is_caught():
    tracker = RepeatTracker(3, timedelta(minutes=10))
    assert tracker.record("alice", repeat_key(TEXT), T0, "m1", "p1") is None
    assert tracker.record("alice", repeat_key(TEXT.upper()), T0 + timedelta(minutes=3), "m2", "p2") is None
    # another member
    assert tracker.record("bob", repeat_key(TEXT), T0 + timedelta(minutes=4), "m3", "p3") is None
    assert tracker.record("alice", repeat_key(f"  {TEXT} "), T0 + timedelta(minutes=9), "m4", "p4") == [
        ("p1", "m1"), ("p2", "m2")]


def test_repeat_copies_older_than_the_span_do_not_count():
    tracker = RepeatTracker(3, timedelta(minutes=10))
    tracker.record("alice", repeat_key(TEXT), T0, "m1")
    tracker.record("alice", repeat_key(TEXT), T0 + timedelta(minutes=6), "m2")
    assert tracker.record("alice", repeat_key(TEXT), T0 + timedelta(minutes=11), "m3") is None


def test_repeat_ignores_short_texts_edits_and_can_be_off():
    tracker = RepeatTracker(2, timedelta(minutes=10))
    assert tracker.record("alice", repeat_key("thanks!"), T0, "m1") is None
    assert tracker.record("alice", repeat_key("thanks!"), T0, "m2") is None
    tracker.record("alice", repeat_key(TEXT), T0, "m3")
    assert tracker.record("alice", repeat_key(TEXT), T0, "m3") is None  # the same message again (an edit)
    off = RepeatTracker(0, timedelta(minutes=10))
    for i in range(5):
        assert off.record("alice", repeat_key(TEXT), T0, f"x{i}") is None


def test_repeat_keeps_at_most_max_texts_per_member():
    tracker = RepeatTracker(3, timedelta(minutes=10), max_texts=4)
    for i in range(50):
        tracker.record("alice", repeat_key(f"{TEXT} number {i}"), T0, f"a{i}")
    assert len(tracker._members["alice"]) == 4


def test_repeat_keeps_fingerprints_only_and_stays_within_its_byte_budget():
    """Issue 10 item 13: 64k-character messages from many members cost a bounded, small memory."""
    import tracemalloc

    budget = 256 * 1024
    tracker = RepeatTracker(3, timedelta(minutes=10), max_bytes=budget)
    texts = [("x" * 65_000) + str(i) for i in range(40)]
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for i in range(4000):
            when = T0 + timedelta(seconds=i / 100)
            tracker.record(f"member{i}", repeat_key(texts[i % 40]), when, f"id{i}", "ch")
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert tracker.bytes <= budget
    assert 0 < len(tracker) < 4000  # the least recently active members were forgotten
    assert grown < 2 * budget  # the texts themselves (4000 x 64 KB = 260 MB) are never kept


def test_repeat_expires_by_within_not_by_count():
    tracker = RepeatTracker(2, timedelta(minutes=10))
    for i in range(100):
        tracker.record(f"m{i}", repeat_key(f"{TEXT} number {i}"), T0, f"id{i}")
    assert len(tracker) == 100
    tracker.record("late", repeat_key(TEXT), T0 + timedelta(minutes=11), "x")
    assert len(tracker) == 1 and tracker.bytes < 1000  # everyone older than `within` is gone
    assert not tracker.seen("m1", repeat_key(f"{TEXT} number 1"), T0 + timedelta(minutes=11), "y")


def test_pitches_off_leaves_link_free_pitches_alone():
    detector = Detector.build(pitches=False)
    for text in ("价格私聊", "淘宝搜：老王茶铺", "DM me for prices"):
        assert detector.detect(text) is None, text
    assert detector.detect("加我微信 teashop88").kind == "contact"  # a handle is a contact


def test_the_sale_word_must_be_near_the_invitation():
    far = "有需要的话可以看看群公告" + "，今天天气不错" * 10 + "，有空私聊"
    assert DETECTOR.detect(far) is None
    assert DETECTOR.detect("有需要的私聊").kind == "pitch"
