"""End-to-end behaviour of the library over the bundled posts."""

import pytest

from search import Engine
from search.errors import IndexMissingError, QueryError, UnknownPostError

IMMERSION = {"000_b8fa68eb6a450baa.md", "002_c2e20e116892d749.md", "003_2b17ebb8078eb733.md"}


def ids(result):
    return [h.id for h in result.hits]


def test_the_posts_that_write_a_compound_are_the_top_three(engine):
    result = engine.search("液浸冷却")
    assert set(ids(result)[:3]) == IMMERSION
    assert ids(result)[0] in {"000_b8fa68eb6a450baa.md", "002_c2e20e116892d749.md"}
    for hit in result.hits[:3]:
        assert hit.missing == ()
        assert any(p.text[a:b] == "液浸冷却" for p in hit.passages for a, b in p.highlights), hit.id
    # posts that only say 冷却 follow, marked as missing 液浸
    assert result.total == 5
    assert [hit.missing for hit in result.hits[3:]] == [("液浸",), ("液浸",)]
    # the phrase as the user's choice, and --all, stay strict
    assert set(ids(engine.search('"液浸冷却"'))) == IMMERSION
    assert set(ids(engine.search("液浸冷却", require_all=True))) == IMMERSION


def test_highlights_are_inside_their_passages_and_never_repeat(engine):
    for q in ("液浸冷却", "NVIDIA", "データセンター 電力", "サーバ"):
        for hit in engine.search(q).hits:
            texts = [p.text for p in hit.passages]
            assert len(texts) == len(set(texts))
            for p in hit.passages:
                assert 20 <= len(p.text) <= 400
                for a, b in p.highlights:
                    assert 0 <= a < b <= len(p.text)


def test_width_and_case_do_not_matter(engine):
    assert ids(engine.search("NVIDIA")) == ids(engine.search("ｎｖｉｄｉａ")) != []


def test_a_katakana_name_finds_its_latin_spelling(engine):
    # all five posts write NVIDIA (or Nvidia) in Latin letters only
    result = engine.search("エヌビディア")
    assert set(ids(result)) == set(ids(engine.search("NVIDIA")))
    assert result.total == 5
    for hit in result.hits:
        shown = {p.text[a:b].lower() for p in hit.passages for a, b in p.highlights}
        assert shown == {"nvidia"}, hit.id


def test_a_katakana_name_the_dictionary_cannot_read_finds_its_latin_spelling(engine):
    # Sudachi has no reading for Foxconn; three posts write it, in Latin letters only
    result = engine.search("フォックスコン")
    assert set(ids(result)) == set(ids(engine.search("Foxconn"))) != set()
    for hit in result.hits:
        assert hit.missing == ()
        shown = {p.text[a:b].lower() for p in hit.passages for a, b in p.highlights}
        assert shown == {"foxconn"}, hit.id


def test_two_keywords_rank_posts_with_both_first(engine):
    result = engine.search("NVIDIA 液浸冷却")
    top = ids(result)[:3]
    assert set(top) == IMMERSION  # all three also mention NVIDIA
    assert result.total > 3  # NVIDIA alone still counts


def test_sentence_query_finds_answers(engine):
    result = engine.search("データセンターの電力消費を減らしたい")
    assert result.total >= 1
    assert all(h.passages and h.passages[0].highlights for h in result.hits)


def test_unknown_word_finds_nothing(engine):
    assert engine.search("ぴよぴよぽよ").total == 0


def test_full_width_space_separates_words(engine):
    assert ids(engine.search("NVIDIA　液浸冷却")) == ids(engine.search("NVIDIA 液浸冷却"))


def test_require_all(engine):
    both = engine.search("Foxconn 液浸冷却", require_all=True)
    assert set(ids(both)) <= IMMERSION
    assert both.total < engine.search("Foxconn 液浸冷却").total


def test_paging_reports_total(engine):
    full = engine.search("AI", limit=5)
    page2 = engine.search("AI", limit=2, offset=2)
    assert page2.total == full.total
    assert ids(page2) == ids(full)[2:4]


def test_hits_carry_metadata(engine):
    hit = engine.search("液浸冷却").hits[0]
    assert hit.title and hit.date and hit.tags and hit.categories
    assert hit.path.endswith(hit.id)


@pytest.mark.parametrize("bad", ["", "   ", "\u3000", "OR", "-冷却"])
def test_empty_queries_raise(engine, bad):
    with pytest.raises(QueryError):
        engine.search(bad)


def test_missing_index_raises(tmp_path):
    with Engine(index_dir=tmp_path / "none", data_dir=tmp_path) as e:
        with pytest.raises(IndexMissingError):
            e.search("NVIDIA")


def _injected_bug(*args, **kwargs):
    raise KeyError("a bug in the ranking code")


def test_a_bug_in_the_ranking_is_not_reported_as_a_damaged_index(engine, monkeypatch):
    from search import ranking
    from search.errors import SearchIndexError

    monkeypatch.setattr(ranking, "unit_scores", _injected_bug)
    with pytest.raises(KeyError, match="a bug in the ranking code") as caught:
        engine.search("データセンター 電力")
    assert not isinstance(caught.value, SearchIndexError)
    monkeypatch.undo()
    assert engine.search("データセンター 電力").total  # the index was never in question


def test_the_cli_reports_a_bug_as_an_internal_error(built_index, monkeypatch, capsys):
    import sys

    from search import cli, ranking

    from .conftest import DATA

    monkeypatch.setattr(ranking, "unit_scores", _injected_bug)
    monkeypatch.delenv("JSEARCH_DEBUG", raising=False)
    args = ["query", "データセンター 電力", "--no-refresh", "--index", str(built_index), "--data", str(DATA)]
    monkeypatch.setattr(sys, "argv", ["jsearch", *args])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == cli.INTERNAL_ERROR == 70
    err = capsys.readouterr().err
    assert err.startswith("jsearch: internal error: KeyError") and err.count("\n") == 1
    assert "damaged" not in err and "--rebuild" not in err


def test_one_post_as_a_hit_matches_its_place_in_the_results(engine):
    # the post view asks for one post's passages without ranking the rest
    for hit in engine.search("液浸冷却", limit=10).hits:
        alone = engine.hit("液浸冷却", hit.id)
        assert alone.passages == hit.passages and alone.missing == hit.missing
    with pytest.raises(UnknownPostError):
        engine.hit("液浸冷却", "../etc/passwd")
