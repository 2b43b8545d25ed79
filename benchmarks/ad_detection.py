"""Cost of ad_window's detection per message, and its precision/recall on a labelled corpus.

The corpus is mostly ordinary chat (English and Chinese, with times, prices,
versions, file names and allowed links) and some ads (links, invites, contact
handles, phone numbers, evasions). Each message goes through the same
``Detector`` the plugin builds, plus the repeat tracker, as in the moderation
hook.

    python benchmarks/ad_detection.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from hearth.plugins.ad_window.detect import Detector, RepeatTracker

CHAT = [
    "good morning everyone", "has anyone tried the new oolong from the market?",
    "I brewed a pu-erh at 95 degrees, a bit bitter", "what temperature for green tea?",
    "lovely photo of your tea set", "see you at the tasting on saturday",
    "the gaiwan technique takes practice", "thanks, that helped a lot",
    "I read about it on example.org yesterday", "haha same here", "where do you buy your cups?",
    "I went hiking yesterday. It was great. The view from the top was amazing!",
    "meeting at 20:00 on 2026-11-27, see you there", "it costs $12.50 per 100g, not bad",
    "upgrade to python 3.11.2 fixed it", "edit main.py and README.md then run setup.sh",
    "the rules are at https://example.org/rules", "lol", "+1", "ok", "nice!", "agreed",
    "@alice thanks for the recommendation", "I use WeChat with my parents, it's easier",
    "my signal is weak in the mountains", "2 teaspoons for 200ml, steep 3:30",
    "e.g. Tieguanyin, Dahongpao, etc.", "who is coming on Friday?", "brb, kettle is boiling",
    "Just finished reading 'The Classic of Tea' by Lu Yu. Highly recommend it.",
    "今天天气不错，一起喝茶吧", "我用微信和家人聊天", "泡茶水温：85度左右", "这个茶很好喝",
    "明天下午三点见", "谢谢大家的推荐！", "forum.example.org has a long thread on storage",
    "I paid 1,299 for the clay pot, worth it", "version v2.0.1 of the app is out",
    "Thanks.It was great", "polka dot teapots are cute", "my order number is 2026112012345",
]
ADS = [
    "Best prices on tea sets!!! visit http://cheap-tea-deals.biz now",
    "join my server discord.gg/teaparty for giveaways",
    "https://discord.com/invite/AbC123 free nitro",
    "add me on WeChat/Telegram/WhatsApp: tealover88",
    "wechat: tea_lover for wholesale prices", "call +86 138 0013 8000 for wholesale",
    "+1 (555) 123-4567 order now", "cheap-tea . com best deals", "cheap-tea (dot) com",
    "hxxps://cheap-tea.com/sale", "ｃｈｅａｐ－ｔｅａ．ｃｏｍ 优惠", "加我微信 teashop88 优惠多多",
    "微信：abc1234 批发", "https://matrix.to/#/#party:elsewhere.org come join",
    "t.me/teadeals daily offers", "write to sales@cheap-tea.com for a catalogue",
]


def build() -> Detector:
    return Detector.build(
        allow_domains=["example.org"],
        internal_rooms=["!gen:example.org", "!ads:example.org"],
        own_guilds=["123456789012345678"],
    )


def per_message_us(detector: Detector, texts: list[str], rounds: int, track: bool) -> float:
    tracker = RepeatTracker(3, timedelta(minutes=10))
    now = datetime(2026, 11, 20, tzinfo=UTC)
    detect = detector.detect
    start = time.perf_counter()
    for r in range(rounds):
        for i, text in enumerate(texts):
            if detect(text) is None and track:
                tracker.record(("discord", f"m{i % 50}"), text, now, f"{r}:{i}")
    elapsed = time.perf_counter() - start
    return elapsed / (rounds * len(texts)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    detector = build()

    flagged_chat = [t for t in CHAT if detector.detect(t) is not None]
    missed_ads = [t for t in ADS if detector.detect(t) is None]
    tp = len(ADS) - len(missed_ads)
    precision = tp / (tp + len(flagged_chat)) if tp + len(flagged_chat) else 1.0
    recall = tp / len(ADS)
    # A realistic mix: about 1 ad in 20 messages.
    mix = CHAT * 8 + ADS
    for _ in range(3):  # warm up
        per_message_us(detector, mix, 5, True)
    chat_us = per_message_us(detector, CHAT, args.rounds, False)
    ads_us = per_message_us(detector, ADS, args.rounds, False)
    mix_us = per_message_us(detector, mix, max(args.rounds // 5, 1), True)
    print(f"corpus: {len(CHAT)} ordinary messages, {len(ADS)} ads; mix {len(CHAT) * 8}:{len(ADS)}")
    print(f"ordinary chat : {chat_us:6.2f} µs/message (detection)")
    print(f"ads           : {ads_us:6.2f} µs/message (detection)")
    print(f"overall mix   : {mix_us:6.2f} µs/message (detection + repeat tracking)")
    print(f"precision {precision:.3f}, recall {recall:.3f}")
    for text in flagged_chat:
        print(f"  false positive: {text!r} -> {detector.detect(text)}")
    for text in missed_ads:
        print(f"  missed: {text!r}")


if __name__ == "__main__":
    main()
