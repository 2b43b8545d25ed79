"""ad_window's config block: defaults, and errors that name the bad value."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import yaml

from hearth import Step
from hearth.bootstrap import load
from hearth.errors import ConfigError
from hearth.models import Role


def config(ad_window):
    return yaml.safe_dump({
        "communities": {
            "tea-house": {
                "timezone": "Asia/Shanghai",
                "discord": {"guild": "1"},
                "channels": {"general": {"discord": "11"}, "ads": {"discord": "22"},
                             "mods": {"discord": "44"}},
                "plugins": {"ad_window": ad_window},
            }
        }
    })


def validated(ad_window):
    return load(config(ad_window), text=True).config.communities["tea-house"].plugins["ad_window"]


def problems(ad_window) -> str:
    with pytest.raises(ConfigError) as info:
        load(config(ad_window), text=True)
    return str(info.value)


def test_empty_block_has_documented_defaults():
    cfg = validated({})
    assert len(cfg.windows) == 1
    assert (cfg.windows[0].days, cfg.windows[0].start, cfg.windows[0].end) == ([4], time(20), time(22))
    assert cfg.ad_channels == [] and cfg.per_window_quota == 1
    assert cfg.exempt_roles == [Role.ADMIN, Role.LEADER]
    assert cfg.detect.allow_domains == [] and cfg.detect.invite_links and cfg.detect.contact_handles
    assert cfg.detect.patterns == []
    assert (cfg.detect.repeat.copies, cfg.detect.repeat.within) == (3, timedelta(minutes=10))
    assert cfg.escalation == [Step("warn"), Step("mute", timedelta(hours=1)),
                              Step("mute", timedelta(hours=24)), Step("kick"), Step("ban")]
    assert cfg.strike_decay == timedelta(days=30)
    assert cfg.announce.channel is None and cfg.audit_channel is None
    assert cfg.texts.model_dump(exclude_none=True) == {}


def test_full_block_from_config_md():
    cfg = validated({
        "windows": [{"days": ["fri", "sat"], "from": "22:00", "to": "02:00"}],
        "ad_channels": ["ads"], "per_window_quota": 2, "exempt_roles": ["leader"],
        "detect": {"allow_domains": ["https://www.Example.org/"], "invite_links": False,
                   "contact_handles": False, "patterns": ["free\\s+samples"],
                   "repeat": {"copies": 4, "within": "5m"}},
        "escalation": ["warn", {"mute": "30m"}, "ban"], "strike_decay": "7d",
        "announce": {"channel": "general"}, "audit_channel": "mods",
        "texts": {"announce_close": "Ads closed."},
    })
    assert cfg.windows[0].days == [4, 5] and cfg.windows[0].end == time(2)
    assert cfg.detect.allow_domains == ["example.org"]
    assert cfg.escalation == [Step("warn"), Step("mute", timedelta(minutes=30)), Step("ban")]
    assert str(cfg.escalation[1]) == "mute 30m"


def test_bad_pattern_is_named():
    text = problems({"detect": {"patterns": ["ok", "(unclosed"]}})
    assert "ad_window.detect.patterns" in text and "'(unclosed'" in text
    assert "not a valid regular expression" in text


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("shout", "'shout' is not an escalation step"),
        ("mute", "mute needs a duration"),
        ({"mute": "forever"}, "'forever' is not a duration"),
        ({"kick": "1h"}, "is not an escalation step"),
    ],
)
def test_bad_escalation_entries(entry, expected):
    text = problems({"escalation": ["warn", entry]})
    assert "ad_window.escalation" in text and "entry 2" in text and expected in text


def test_other_errors_name_key_and_value():
    assert "unknown channel 'market'" in problems({"ad_channels": ["market"]})
    assert "unknown channel 'nowhere'" in problems({"announce": {"channel": "nowhere"}})
    assert "'noon' is not a time of day" in problems({"windows": [{"days": ["fri"], "from": "noon",
                                                                    "to": "22:00"}]})
    assert "'funday' is not a day" in problems({"windows": [{"days": ["funday"], "from": "20:00",
                                                              "to": "22:00"}]})
    assert "texts.hello: unknown key 'hello'" in problems({"texts": {"hello": "hi"}})
    assert "unknown key 'quota'" in problems({"quota": 2})
    assert "ad_window.per_window_quota" in problems({"per_window_quota": -1})
    assert "unknown role 'boss'" in problems({"exempt_roles": ["boss"]})
