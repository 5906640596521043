"""Highlights where the query's text does not occur as typed: the passage
is analysed and the spans still point at the original characters."""

from search.analysis import Chains
from search.highlight import best_passages, unit_spans
from search.units import analyse_units

CHAINS = Chains()


def spans_of(text: str, query: str) -> list[str]:
    units = analyse_units(query, None, CHAINS)
    spans, _ = unit_spans(text, units, CHAINS)
    return [text[a:b] for a, b in spans]


def test_inflected_query_highlights_the_text_form():
    assert spans_of("メモリを割り当てた。", "割り当てる") == ["割り当て"]


def test_spelling_variant_highlights_the_variant_in_the_text():
    assert spans_of("流体のシミュレーションを行う。", "シュミレーション") == ["シミュレーション"]


def test_full_width_text_is_highlighted_at_its_own_offsets():
    assert spans_of("ＧＰＵを冷やす。", "gpu") == ["ＧＰＵ"]


def test_compound_part_highlighted_inside_the_compound():
    assert spans_of("データセンターで液浸冷却を採用した。", "冷却") == ["冷却"]


def test_passage_with_every_unit_ranks_before_one_with_some():
    body = "メモリを増設した。\n\nメモリの割り当てを変更した。\n\n割り当ての規則。"
    passages = best_passages(body, (), analyse_units("メモリ 割り当て", None, CHAINS), count=3)
    assert passages[0].text == "メモリの割り当てを変更した。"
    assert all(p.text[a:b] in {"メモリ", "割り当て"} for p in passages for a, b in p.highlights)


def test_passage_showing_the_subject_beats_one_showing_a_modifier():
    # どの is a unit of the query, but it names nothing: the passage about
    # 電力 is the one that shows why the post matched
    body = "どのような方法でも構わない。\n\n電力の消費量を測る。"
    units = analyse_units("どのくらい電力を使うのか", None, CHAINS)
    assert [p.text for p in best_passages(body, (), units, count=1)] == ["電力の消費量を測る。"]
