"""The analysis chain: terms, positions and offsets, asserted side by side."""

import pytest

from search.analysis import (
    Chains,
    bigrams,
    fold,
    main_analyzer,
    ngram_analyzer,
    parts_analyzer,
    reading_analyzer,
)
from search.sudachi import analyze, chunks

from .conftest import DATA


def terms(analyzer, text):
    return [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer(text, positions=True, chars=True)]


def test_main_chain_normalises_lowercases_and_drops_particles():
    assert terms(main_analyzer(), "ｎｖｉｄｉａのサーバを変更しました") == [
        ("nvidia", 0, 0, 6),
        ("サーバ", 2, 7, 10),
        ("変更", 4, 11, 13),
    ]


def test_blanks_and_middle_dots_take_no_position_but_particles_do():
    # 16 進数 with a space is the same text as 16進数; の between words is not
    assert terms(main_analyzer(), "16 進数") == [("16", 0, 0, 2), ("進数", 1, 3, 5)]

    def positions(text):
        return [(t.text, t.pos) for t in main_analyzer()(text, positions=True)]

    assert positions("指定され た値") == positions("指定された値")  # a wrapped line
    assert positions("ネットワーク・インタフェース") == positions("ネットワークインタフェース")
    assert positions("液浸の冷却") == [("液浸", 0), ("冷却", 2)]


@pytest.mark.parametrize(
    "variant, canonical",
    [
        ("サーバ", "サーバ"),
        ("サーバー", "サーバ"),
        ("ＧＰＵ", "gpu"),
        ("シュミレーション", "シミュレーション"),
        ("1,000", "1000"),
    ],
)
def test_variants_collapse(variant, canonical):
    assert [t.text for t in main_analyzer()(variant)] == [canonical]


def test_inflections_share_a_term():
    forms = ["変更した", "変更します", "変更する"]
    assert {tuple(t.text for t in main_analyzer()(f)) for f in forms} == {("変更",)}
    assert [t.text for t in main_analyzer()("削除したい")] == ["削除"]


def test_ascii_words_keep_their_surface_beside_the_loanword():
    # Sudachi normalises tar to タール (coal tar); the command name must stay findable
    assert [(t.text, t.pos) for t in main_analyzer()("tar", positions=True)] == [("タール", 0), ("tar", 0)]


def test_parts_chain_emits_short_units():
    assert terms(parts_analyzer(), "データセンターと関西国際空港") == [
        ("データ", 0, 0, 3),
        ("センタ", 1, 3, 7),
        ("関西", 2, 8, 10),
        ("国際", 3, 10, 12),
        ("空港", 4, 12, 14),
    ]


def test_reading_chain_gives_katakana():
    assert [t.text for t in reading_analyzer()("液浸冷却")] == ["エキシン", "レイキャク"]
    # acronyms, numbers and loanwords are found by their spelling, not by a reading
    assert [t.text for t in reading_analyzer()("GPUの冷却")] == ["レイキャク"]
    assert [t.text for t in reading_analyzer()("user 2065 bw")] == []


def test_reading_chain_reads_latin_names_in_katakana():
    assert [t.text for t in reading_analyzer()("NVIDIAとPython")] == ["エヌビディア", "パイソン"]
    # a name the dictionary does not know reads as itself: no reading
    assert [t.text for t in reading_analyzer()("Foxconn")] == []


def test_bigrams_fold_width_and_break_at_punctuation():
    assert terms(ngram_analyzer(), "液浸冷却、ｸﾗｽﾀ") == [
        ("液浸", 0, 0, 2),
        ("浸冷", 1, 1, 3),
        ("冷却", 2, 2, 4),
        ("クラ", 4, 5, 7),
        ("ラス", 5, 6, 8),
        ("スタ", 6, 7, 9),
    ]


def test_bigrams_leave_ascii_to_the_word_fields():
    # ＧＰＵ folds to gpu: ASCII words are found whole, never by bigrams inside them
    assert [t[0] for t in terms(ngram_analyzer(), "ＧＰＵ冷却とelse")] == ["冷却", "却と"]
    assert bigrams("AI") == []


def test_offsets_point_at_the_original_text_in_every_post():
    for path in sorted(DATA.glob("*.md"))[:2]:
        text = path.read_text("utf-8")
        for analyzer in (main_analyzer(), parts_analyzer(), reading_analyzer()):
            for t in analyzer(text, chars=True):
                assert text[t.startchar : t.endchar] == t.morph.surface
        for t in ngram_analyzer()(text, chars=True):
            assert fold(text[t.startchar : t.endchar]) == t.text


@pytest.mark.parametrize("stoptags", [None, frozenset({"助詞", "空白"})])
def test_term_lists_are_what_the_chains_yield(stoptags):
    """Highlighting reads term lists computed straight from the morphemes;
    they are the chains' own tokens, whatever the text and stop tags."""
    chains = Chains(stoptags)
    texts = [path.read_text("utf-8") for path in sorted(DATA.glob("*.md"))]
    texts.append("ユーザーがサーバーに書き込む。Python と tar、ネットワーク・インタフェース 16 進数")
    for text in texts:
        for name in ("main", "parts", "reading"):
            chain = getattr(chains, name)
            expected = [
                (t.text, t.pos, t.startchar, t.endchar, getattr(t, "variant", False))
                for t in chain(text, positions=True, chars=True)
            ]
            assert [tuple(t) for t in getattr(chains, f"{name}_terms")(text)] == expected, name


def test_long_text_is_split_without_losing_or_shifting_characters():
    text = "あ" * 200_000  # one paragraph, no punctuation, over Sudachi's limit
    morphs = analyze(text, with_parts=False)
    assert morphs[0].start == 0 and morphs[-1].end == len(text)
    assert all(a.end == b.start for a, b in zip(morphs, morphs[1:], strict=False))
    pieces = chunks("文。" * 10_000)
    assert "".join(p for _, p in pieces) == "文。" * 10_000
    assert all(len(p) <= 8_000 for _, p in pieces)


def test_lone_surrogates_keep_offsets():
    text = "a\ud800液浸冷却"
    toks = [t.copy() for t in main_analyzer()(text, chars=True)]
    assert [(t.text, text[t.startchar : t.endchar]) for t in toks][-2:] == [
        ("液浸", "液浸"),
        ("冷却", "冷却"),
    ]


def test_katakana_long_vowel_variants_collapse():
    pairs = [("メモリ", "メモリー"), ("コンピュータ", "コンピューター"), ("フォルダ", "フォルダー")]
    for a, b in pairs:
        assert [t.text for t in main_analyzer()(a)] == [t.text for t in main_analyzer()(b)]
    assert [t.text for t in main_analyzer()("キー")] == ["キー"]  # short words keep their mark


def test_fold_stable_ranges_really_fold_to_themselves():
    import re

    from search.analysis import _FOLD, FOLD_STABLE

    for lo, hi in re.findall(r"(.)-(.)", FOLD_STABLE, re.DOTALL):
        for code in range(ord(lo), ord(hi) + 1):
            assert _FOLD[code] == chr(code), hex(code)


def test_fold_keeps_length_and_folds_width_and_case():
    text = "ＧＰＵとｶﾀｶﾅ、Ｄａｔａ　Center①"
    assert fold(text) == "gpuとカタカナ、data center1"
    assert len(fold(text)) == len(text)


def test_fold_is_the_per_character_table_on_every_character():
    from search.analysis import _FOLD

    every = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000)
    assert fold(every) == every.translate(_FOLD)
    assert fold("x\udcff Ｙ") == "x\udcff y"  # undecodable input bytes survive
