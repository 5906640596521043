"""The query language against the sample posts, half- and full-width."""

import pytest

from search.errors import QueryError
from search.syntax import AnyOf, FieldQuery, Must, Not, Phrase, Seq, Text, parse

ALL = {
    "000_b8fa68eb6a450baa.md",
    "001_bbe059e7aa7c923b.md",
    "002_c2e20e116892d749.md",
    "003_2b17ebb8078eb733.md",
    "004_885ec092a0712be0.md",
}
IMMERSION = {"000_b8fa68eb6a450baa.md", "002_c2e20e116892d749.md", "003_2b17ebb8078eb733.md"}


def ids(engine, q, **kw):
    return {h.id for h in engine.search(q, limit=20, **kw).hits}


def test_parse_shapes():
    assert parse("液浸冷却 NVIDIA") == Seq((Text("液浸冷却"), Text("NVIDIA")))
    assert parse("+NVIDIA -冷却") == Seq((Must(Text("NVIDIA")), Not(Text("冷却"))))
    assert parse("「液浸冷却」") == Seq((Must(Phrase("液浸冷却")),))
    assert parse("tag:NVIDIA") == Seq((Must(FieldQuery("tag", "NVIDIA")),))
    assert parse("A OR B") == Seq((AnyOf((Text("A"), Text("B"))),))


@pytest.mark.parametrize(
    "half, full",
    [
        ("+NVIDIA 液浸冷却", "＋NVIDIA　液浸冷却"),
        ("NVIDIA -液浸冷却", "NVIDIA　－液浸冷却"),
        ('"液浸冷却"', "＂液浸冷却＂"),
        ('"液浸冷却"', "「液浸冷却」"),
        ("(Google OR Apple) 投資", "（Google ＯＲ Apple）　投資"),
        ("tag:NVIDIA", "ｔａｇ：ＮＶＩＤＩＡ"),
        ("NOT 液浸冷却 電力", "ＮＯＴ 液浸冷却 電力"),
    ],
)
def test_full_width_forms_behave_like_half_width(engine, half, full):
    assert ids(engine, half) == ids(engine, full)


def test_exclusion(engine):
    assert ids(engine, "NVIDIA -液浸冷却") == ids(engine, "NVIDIA") - IMMERSION
    assert ids(engine, "NVIDIA NOT 液浸冷却") == ids(engine, "NVIDIA") - IMMERSION


def test_excluded_terms_are_never_highlighted(engine):
    for hit in engine.search("電力 -液浸冷却").hits:
        for p in hit.passages:
            assert all("液浸冷却" not in p.text[a:b] for a, b in p.highlights)


def test_required_and_or(engine):
    assert ids(engine, "+Foxconn +液浸冷却") == ids(engine, "Foxconn AND 液浸冷却")
    assert ids(engine, "+Foxconn +液浸冷却") <= IMMERSION
    assert ids(engine, "Google OR 液浸冷却") == ids(engine, "Google") | IMMERSION


def test_phrase_highlights_the_phrase(engine):
    result = engine.search('"液浸冷却"')
    assert {h.id for h in result.hits} == IMMERSION
    for hit in result.hits:
        spans = [p.text[a:b] for p in hit.passages for a, b in p.highlights]
        assert "液浸冷却" in spans


def test_field_filters(engine):
    assert ids(engine, "tag:nvidia") == {
        "000_b8fa68eb6a450baa.md",
        "003_2b17ebb8078eb733.md",
        "004_885ec092a0712be0.md",
    }
    assert ids(engine, "category:投資分析") == {"000_b8fa68eb6a450baa.md", "001_bbe059e7aa7c923b.md"}
    assert ids(engine, "title:Nvidia") == {"004_885ec092a0712be0.md", "000_b8fa68eb6a450baa.md"}
    # a field-only query still shows a passage (the excerpt)
    for hit in engine.search("tag:NVIDIA").hits:
        assert hit.passages and hit.passages[0].text


def test_dates(engine):
    assert ids(engine, "date:2025-09 AI") == {"004_885ec092a0712be0.md"}
    assert ids(engine, "date:>=2025-11-22 AI") == {
        "000_b8fa68eb6a450baa.md",
        "001_bbe059e7aa7c923b.md",
        "002_c2e20e116892d749.md",
    }
    assert ids(engine, "date:2025-09..2025-11 AI") == ALL
    assert ids(engine, "date:<2025-11-01 AI") == {"004_885ec092a0712be0.md"}
    assert ids(engine, "date：２０２５－０９ AI") == {"004_885ec092a0712be0.md"}


@pytest.mark.parametrize("bad", ["date:2025-13", "date:yesterday", "date:2025-02-30"])
def test_bad_dates_are_errors(engine, bad):
    with pytest.raises(QueryError, match="date"):
        engine.search(f"{bad} AI")


def test_lenient_readings(engine):
    assert ids(engine, '"液浸冷却') == IMMERSION  # unclosed quote closes at the end (a phrase)
    assert ids(engine, "(Google OR Apple") == ids(engine, "Google OR Apple")
    assert ids(engine, "液浸冷却)") == ids(engine, "液浸冷却")  # stray parenthesis ignored
    assert ids(engine, "液浸冷却 OR") == ids(engine, "液浸冷却")  # lone operator ignored
    assert engine.search("unknown:液浸冷却").total >= 0  # unknown field: text, no error


def test_sorting_and_paging(engine):
    newest = engine.search("AI", sort="-date")
    dates = [h.date for h in newest.hits]
    assert dates == sorted(dates, reverse=True)
    oldest = engine.search("AI", sort="date")
    assert [h.id for h in oldest.hits] == [h.id for h in newest.hits][::-1]
    with pytest.raises(QueryError):
        engine.search("AI", sort="size")


def test_facets_count_all_hits_not_just_the_page(engine):
    result = engine.search("AI", limit=1, facets=True)
    assert result.facets["tag"]["OpenAI"] == 5
    assert result.facets["category"]["投資分析"] == 2
    assert sum(result.facets["category"].values()) == result.total


def test_suggestion_when_nothing_matches(engine):
    result = engine.search("Nvidai")
    assert result.total == 0
    assert result.suggestion == "nvidia"
    assert engine.search(result.suggestion).total > 0


def test_similar_posts(engine):
    result = engine.similar("000_b8fa68eb6a450baa.md")
    found = [h.id for h in result.hits]
    assert "000_b8fa68eb6a450baa.md" not in found
    assert set(found) == ALL - {"000_b8fa68eb6a450baa.md"}
