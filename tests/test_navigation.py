"""Navigation beyond ranking, through the engine: facet counts, "did you
mean" suggestions and similar posts, on a few posts made for the purpose."""

from __future__ import annotations

from pathlib import Path

import pytest

from search import Engine
from search.errors import UnknownPostError

POSTS = {
    "gpu.md": ("GPU の冷却", ["冷却", "GPU"], ["技術"], "液浸冷却で GPU サーバを冷やす。kubernetes で管理。"),
    "gpu-again.md": ("GPU の冷却 再び", ["冷却"], ["技術"], "液浸冷却で GPU サーバを冷やす。冷却液を回す。"),
    "air.md": ("空冷の話", ["冷却"], ["技術"], "空冷ファンでサーバを冷やす。"),
    "power.md": ("電力の話", ["電力"], ["市場"], "データセンターの電力と送電網。"),
    "market.md": ("市場の話", ["電力", "投資"], ["市場"], "電力会社への投資が増える。"),
}


def front(title: str, tags: list[str], categories: list[str]) -> str:
    return f"---\ntitle: {title}\ntags: [{', '.join(tags)}]\ncategories: [{', '.join(categories)}]\n---\n"


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    root: Path = tmp_path_factory.mktemp("navigation")
    data = root / "data"
    data.mkdir()
    for name, (title, tags, categories, body) in POSTS.items():
        (data / name).write_text(front(title, tags, categories) + body + "\n", "utf-8")
    with Engine(index_dir=root / "index", data_dir=data) as e:
        e.update()
        yield e


def test_facets_count_every_hit_most_frequent_first(engine):
    result = engine.search("冷やす", limit=1, facets=True)
    assert result.total == 3 and len(result.hits) == 1
    assert result.facets == {"tag": {"冷却": 3, "GPU": 1}, "category": {"技術": 3}}
    assert list(engine.search("電力", facets=True).facets["tag"].items()) == [("電力", 2), ("投資", 1)]


def test_no_facets_unless_asked_and_none_counted_without_hits(engine):
    assert engine.search("冷やす").facets is None
    assert engine.search("ぴよぴよぽよ", facets=True).facets == {"tag": {}, "category": {}}


def test_misspelled_word_gets_a_suggestion_that_finds_posts(engine):
    result = engine.search("kubernetis")
    assert result.total == 0
    assert result.suggestion == "kubernetes"
    assert [h.id for h in engine.search(result.suggestion).hits] == ["gpu.md"]


def test_a_japanese_word_is_not_corrected_into_another_word(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "power.md").write_text("---\ntitle: 電源\n---\nパワーの話。キーボードを使う。\n", "utf-8")
    with Engine(index_dir=tmp_path / "index", data_dir=data) as e:
        e.update()
        # two of five characters changed is another word, not a typo
        assert e.search("パスワード").suggestion is None
        # one is a typo
        assert e.search("キーボウド").suggestion == "キーボード"


def test_no_suggestion_when_something_matches_or_nothing_is_close(engine):
    assert engine.search("kubernetes").suggestion is None
    assert engine.search("zzzzqqqq").suggestion is None
    assert engine.search("kubernetis", suggest=False).suggestion is None


def test_similar_posts_exclude_the_post_and_put_its_near_twin_first(engine):
    result = engine.similar("gpu.md")
    found = [h.id for h in result.hits]
    assert "gpu.md" not in found
    assert found[0] == "gpu-again.md"
    assert "market.md" not in found  # shares none of its key terms
    assert [h.id for h in engine.similar("gpu.md", limit=1).hits] == ["gpu-again.md"]


def test_similar_to_an_unknown_post_is_an_error(engine):
    with pytest.raises(UnknownPostError, match="nosuch.md"):
        engine.similar("nosuch.md")
