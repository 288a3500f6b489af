"""Phrase cutting and language detection on streamed text (no models needed)."""

from __future__ import annotations

import numpy as np

from model.audio import float_to_int16, int16_to_float, resample
from model.embedded.speak.phrases import (
    LATER_MIN_WORDS,
    OPENING_PHRASE,
    SENTENCES_ONLY_AFTER,
    PhraseSplitter,
    clean_for_speech,
    detect_language,
)


def _split(pieces: list[str], *, fixed_growth: bool = False) -> list[str]:
    splitter = PhraseSplitter(fixed_growth=fixed_growth)
    phrases = [phrase for piece in pieces for phrase in splitter.feed(piece)]
    return phrases + splitter.flush()


def test_sentences_come_out_as_soon_as_they_end() -> None:
    splitter = PhraseSplitter()
    assert splitter.feed("Hi there") == []
    assert splitter.feed("! How") == ["Hi there!"]
    assert splitter.feed(" are you?") == []  # the "?" might still be followed by more punctuation
    assert splitter.feed(" Fine") == ["How are you?"]
    assert splitter.flush() == ["Fine"]


def test_the_first_phrase_is_a_short_chunk_to_a_comma_after_two_words_or_of_three_words() -> None:
    phrases = _split(["Oh", " yes", ",", " I think", " the sea is", " lovely today, and", " calm, too.", " Bye."])
    assert phrases[0] == "Oh yes,"
    assert _split(["Well", ",", " I think", " the sea is", " lovely today, and", " calm, too.", " Bye."]) == [
        "Well, I think",  # a comma after one word is too early a cut: three words instead
        "the sea is lovely today,",  # the second phrase is short too (ready when the first has played)
        "and calm, too.",
        "Bye.",
    ]


def test_abbreviations_and_decimals_do_not_end_sentences() -> None:
    assert _split(["Mr. Smith paid 3.5 dollars. ", "Then he left."]) == [
        "Mr. Smith paid",
        "3.5 dollars.",
        "Then he left.",
    ]


def test_chinese_sentences_and_first_comma() -> None:
    phrases = _split(list("你好，今天天气非常好，我们去散步吧。你觉得呢？嗯"))
    assert phrases == ["你好，今天天气非常好，", "我们去散步吧。", "你觉得呢？", "嗯"]


def test_markdown_emoji_and_stage_directions_are_not_spoken() -> None:
    assert _split(["**Hello** there 😀! *smiles* I", " love [this](http://x.y) a lot.\n", "- item one\n"]) == [
        "Hello there!",
        "I love this a lot.",
        "item one",
    ]
    assert clean_for_speech("`code` and # heading") == "code and heading"
    assert clean_for_speech("My name is Elena... (laughs) It seems [smiling warmly] fine (sighs).") == (
        "My name is Elena... It seems fine."
    )
    # Brackets that are not stage directions are read as written.
    assert clean_for_speech("Paris (the capital) is lovely (see photo 2).") == (
        "Paris (the capital) is lovely (see photo 2)."
    )


def test_nothing_speakable_is_dropped() -> None:
    assert _split(["...", " 🎉", "\n\n"]) == []


def test_language_detection_by_script() -> None:
    assert detect_language("Hello, how are you?") == "en"
    assert detect_language("你好，最近怎么样？") == "zh"
    assert detect_language("我喜欢 iPhone 手机") == "zh"
    assert detect_language("I visited 北京 last year") == "en"
    assert detect_language("") == "en"


def test_audio_helpers_round_trip() -> None:
    tone = np.sin(np.linspace(0, 2 * np.pi * 440, 24_000)).astype(np.float32) * 0.5
    resampled = resample(tone, 24_000, 16_000)
    assert resampled.dtype == np.float32 and resampled.size == 16_000
    assert np.allclose(int16_to_float(float_to_int16(tone)), tone, atol=1e-4)
    assert float_to_int16(np.array([2.0, -2.0], dtype=np.float32)).tolist() == [32767, -32767]


def test_a_long_first_sentence_is_cut_while_it_is_written() -> None:
    """Its first words are spoken while the model still writes the rest (Kokoro's time grows with length):
    a first chunk of three words, cut as soon as the fourth begins; before first chunks it was cut before
    the first clause word after six (`OPENING_PHRASE`, which the bench compares it with)."""
    sentence = "One simple yet very effective way is by using a warm bath before bed."
    for limit, expected in ((None, "One simple yet"), (OPENING_PHRASE, "One simple yet very effective way is")):
        splitter = PhraseSplitter(first=limit)
        cut: list[str] = []
        for word in sentence.split(" "):
            cut += splitter.feed(word + " ")
            if cut:
                break
        assert cut == [expected]
    assert _split(["Paris", " is", " lovely", " in", " spring."])[0] == "Paris is lovely"  # cut before "in"
    assert _split(["Short and sweet. ", "And then some more words follow here without any stop at all"])[0] == (
        "Short and sweet."
    )
    # No clause word at all: cut after the hard cap, never mid-word.
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    assert _split([" ".join(words) + "."])[:2] == [" ".join(words[:3]), " ".join(words[3:9])]
    # Chinese without punctuation: between words (below).
    assert _split(["我明天想去公园散步因为天气很好而且我很久没有出门了"]) == [
        "我明天想去",
        "公园散步因为天气很好",  # before 而且, which opens a clause, not after 因为, which binds to what follows
        "而且我很久没有出门了",
    ]


def test_the_first_phrase_is_cut_the_same_whether_text_comes_whole_or_token_by_token() -> None:
    """A greeting is given whole, a reply arrives in tokens: their first audio must start as early."""
    texts = [
        "The capital city of France is Paris and it is famous for its museums. It is lovely.",
        "Hi, I'm Nova, your in-car assistant. Where are we heading today?",
        "Well, I think the sea is lovely today, and calm, too. Bye.",
        "Good evening - welcome back to the late show with all of your favourite songs.",
        "Short and sweet. And then some more words follow here without any stop at all.",
    ]
    for text in texts:
        tokens = [piece + " " for piece in text.split(" ")]
        assert _split([text]) == _split(tokens), text
    assert _split([texts[0]])[:2] == ["The capital city", "of France is Paris"]  # then cut before "and"
    assert _split([texts[1]])[:2] == ["Hi, I'm Nova,", "your in-car assistant."]
    assert _split([texts[3]])[0] == "Good evening"  # cut after a spaced dash, which is not read aloud
    assert _split(["你好，今天天气非常好，我们去散步吧。"]) == ["你好，今天天气非常好，", "我们去散步吧。"]


def test_a_written_reply_is_cut_into_short_pieces_after_its_first_phrase() -> None:
    """However fast or slow the voice, no piece is long to make: the speaking side joins them where it
    has time (`phrase_joining`). The same cuts whether streamed or given whole."""
    text = (
        "No worries, it might be a bit of a bottleneck on your connection and we can fix that in a few minutes "
        "if you restart the router now. Hope this helps, and call us again whenever the lights go red."
    )
    phrases = _split([text])
    assert phrases == _split([piece + " " for piece in text.split(" ")])
    assert phrases == [
        "No worries,",
        "it might be a bit",
        "of a bottleneck",
        "on your connection",
        "and we can fix",
        "that in a few minutes",
        "if you restart the router now.",
        "Hope this helps,",
        "and call us again whenever the lights go red.",
    ]
    assert max(len(phrase.split()) for phrase in phrases[1:]) <= 10
    # A long sentence is cut before a clause word, or after 10 words; a short one never.
    assert _split(["Sure thing. Please keep the blue cable plugged firmly into the left port now. Thanks."]) == [
        "Sure thing.",
        "Please keep the blue cable plugged",  # the second phrase: at most 6 words
        "firmly into the left port now.",
        "Thanks.",
    ]
    assert _split(
        ["Sure thing. Sure. Please keep the blue cable plugged firmly right here near the left port now."]
    ) == [
        "Sure thing.",
        "Sure.",
        "Please keep the blue cable plugged firmly right here near",
        "the left port now.",
    ]
    assert _split(["Sure thing. Sure. I can help with that today. "]) == [
        "Sure thing.",
        "Sure.",
        "I can help with that today.",
    ]
    assert _split(list("好的，我们马上为您查询一下您所在地区的网络情况，请您稍等片刻，我们的工程师会尽快联系您。")) == [
        "好的，我们马上",
        "为您查询一下",
        "您所在地区的网络情况，",
        "请您稍等片刻，",
        "我们的工程师会尽快联系您。",
    ]


def test_a_long_chinese_clause_opens_with_a_few_words_cut_between_words() -> None:
    """Chinese was cut at punctuation only: 小星's first phrase ran to its first comma (16 characters, ~4.6 s of
    speech) and her first audio came ~4 s after her reply began. Now the first phrase is cut between words
    (jieba's) after 5-10 characters, the second after 6-12; the same cuts whole or character by character."""
    texts = {
        "如果以上方法都无法解决问题，您可以尝试联系客服。": [
            "如果以上方法",
            "都无法解决问题，",
            "您可以尝试联系客服。",
        ],
        "你可以尝试练习英语口语，比如听英文歌曲。": ["你可以尝试", "练习英语口语，", "比如听英文歌曲。"],
        # 电源适配器 is one word and 你的 binds to it: no good place in the first ten characters, so the comma.
        "请检查你的电源适配器是否正常工作，或者换一根线。": ["请检查你的电源适配器是否正常工作，", "或者换一根线。"],
        "您好，我是小星，请问有什么可以帮您？": ["您好，我是小星，", "请问有什么可以帮您？"],  # short clauses
        "“早上好”用英文是 Good morning。你来试试吧！": ["“早上好”用英文是 Good morning。", "你来试试吧！"],
    }
    for text, expected in texts.items():
        assert _split([text]) == _split(list(text)) == expected, text


def test_cached_text_grows_its_phrases_with_what_was_said_the_same_every_time() -> None:
    """A greeting's audio is cached by phrase, so its cuts must not depend on timing: each later phrase is
    at most about as long as everything said before it, whole sentences once ~20 words are out."""
    text = (
        "No worries, it might be a bit of a bottleneck on your connection and we can fix that in a few minutes "
        "if you restart the router now. Hope this helps, and call us again whenever the lights go red."
    )
    phrases = _split([text], fixed_growth=True)
    assert phrases == _split([piece + " " for piece in text.split(" ")], fixed_growth=True)
    assert phrases == [
        "No worries,",
        "it might be a bit",
        "of a bottleneck on your connection",
        "and we can fix that in a few minutes",
        "if you restart the router now.",
        "Hope this helps, and call us again whenever the lights go red.",
    ]
    said = 0
    for phrase in phrases[1:]:
        words = len(phrase.split())
        if said < SENTENCES_ONLY_AFTER:
            assert words <= max(LATER_MIN_WORDS, said) + 4, (phrase, said)
        said += words
    short = "Sure thing. I can help with that today. "
    assert (
        _split([short], fixed_growth=True)
        == _split([word + " " for word in short.split()], fixed_growth=True)
        == ["Sure thing.", "I can help with that today."]
    )
    assert _split(
        list("好的，我们马上为您查询一下您所在地区的网络情况，请您稍等片刻，我们的工程师会尽快联系您。"),
        fixed_growth=True,
    ) == [
        "好的，我们马上",
        "为您查询一下您所在地区的网络情况，",
        "请您稍等片刻，我们的工程师会尽快联系您。",
    ]
