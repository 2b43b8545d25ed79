"""guard's word lists: normalised, whole words in spaced scripts, substrings in CJK, linear time."""

from __future__ import annotations

import time

import pytest

from hearth import compile_pattern
from hearth.plugins.guard.words import WordList

WORDS = WordList.build(["some insult", "ass", "傻逼", "ばか", "바보"], [compile_pattern(r"idi+ot")])


@pytest.mark.parametrize(("text", "found"), [
    ("you are some insult", "some insult"),
    ("SOME   INSULT!", "some insult"),
    ("ｓｏｍｅ ＩＮＳＵＬＴ", "some insult"),            # full-width letters and space
    ("so\u200bme in\u00adsult", "some insult"),          # zero-width space, soft hyphen
    ("𝐬𝐨𝐦𝐞 𝐢𝐧𝐬𝐮𝐥𝐭", "some insult"),                    # styled letters
    ("ass!", "ass"),
    ("你是傻逼吗", "傻逼"),                               # no spaces between words in Chinese
    ("馬鹿 ばかだね", "ばか"),
    ("너 바보야", "바보"),
    ("what an idiiiot", "idiiiot"),
])
def test_blocked_words_are_found_however_written(text, found):
    assert WORDS.find(text) == found


@pytest.mark.parametrize("text", [
    "class is fine", "classy", "some insults", "wholesome insulting", "assess", "hello", "", "傻瓜",
])
def test_words_inside_other_words_are_not_blocked(text):
    assert WORDS.find(text) is None


def test_an_empty_list_finds_nothing():
    assert not WordList.build([]) and WordList.build([]).find("anything") is None


def test_finding_is_linear_in_the_message():
    """Many words and a long crafted message: RE2, so twice the text costs about twice the time."""
    words = WordList.build([f"word{i} next{i}" for i in range(500)] + ["傻逼"],
                           [compile_pattern(r"(a+)+$")])

    def seconds(n: int) -> float:
        text = ("word1 nex " * n)[: n * 10] + "!"
        best = []
        for _ in range(3):
            start = time.process_time()
            assert words.find(text) is None
            best.append(time.process_time() - start)
        return min(best)

    half, full = seconds(3_277), seconds(6_554)  # about 32k and 64k characters
    assert full < 1.0
    assert full / max(half, 0.01) < 3.0
