"""Markdown read as CommonMark: what a reader sees becomes text, markup does not."""

from pathlib import Path

import pytest

from search import Engine
from search.documents import parse_post
from search.markdown import markdown_to_text, strip_inline


def paragraphs(markdown: str) -> list[str]:
    return markdown_to_text(markdown)[0].split("\n\n")


def headings(markdown: str) -> list[str]:
    return [s.heading for s in markdown_to_text(markdown)[1]]


def test_setext_underlines_make_headings_not_rules():
    md = "概要\n====\n\n本文です。\n\n詳細\n----\n続き。\n\n***\n\n最後。"
    assert paragraphs(md) == ["概要", "本文です。", "詳細", "続き。", "最後。"]
    assert headings(md) == ["概要", "詳細"]


def test_section_offsets_point_at_their_headings_in_the_text():
    md = "前置き。\n\n# 一つ目\n\n**太字の見出し**\n段落の続き。\n\n二つ目\n===\n\n- 項目\n"
    text, sections = markdown_to_text(md)
    assert [s.heading for s in sections] == ["一つ目", "太字の見出し", "二つ目"]
    for section in sections:
        assert text[section.start : section.start + len(section.heading)] == section.heading


def test_table_cells_become_text_without_pipes():
    md = "| 方式 | 特徴 |\n|:-----|-----:|\n| 液浸冷却 | **静音** |\n| 空冷 | `安価` |\n"
    assert paragraphs(md) == ["方式 特徴", "液浸冷却 静音", "空冷 安価"]


def test_code_is_kept_literally_without_fences_or_indent():
    fenced = "```python\nx = a*b*c\n\ny = __init__\n```\n"
    assert paragraphs(fenced) == ["x = a*b*c", "y = __init__"]
    indented = "前。\n\n    $ ls *.md\n    # not a heading\n\n後。"
    assert paragraphs(indented) == ["前。", "$ ls *.md # not a heading", "後。"]
    assert headings(indented) == []


def test_html_blocks_keep_their_text_but_not_tags_comments_or_scripts():
    md = (
        '<div class="note">\n<p>注意&amp;警告</p><script>var secret = 1;</script>\n</div>\n\n'
        "<!-- メモ -->\n\n本文"
    )
    assert paragraphs(md) == ["注意&警告", "本文"]
    assert paragraphs("文中の<span>タグ</span>と<br>改行") == ["文中のタグと改行"]


def test_backslash_escapes_and_entities_become_their_characters():
    md = r"\*強調ではない\* \# \[括弧\] \\ &lt;b&gt; &#x3042;"
    assert paragraphs(md) == [r"*強調ではない* # [括弧] \ <b> あ"]
    assert paragraphs(r"\*\*太字ではない\*\*") == ["**太字ではない**"]


def test_links_and_images_keep_their_text_not_their_urls():
    md = '[公式サイト](https://example.com/page "題") と ![構成図](fig.png) と [参照][r]\n\n[r]: https://x.example/'
    assert paragraphs(md) == ["公式サイト と 構成図 と 参照"]
    assert paragraphs("連絡先 <user@example.com> と <https://x.example/a>") == ["連絡先  と"]


def test_emphasis_next_to_japanese_punctuation_leaves_no_marks():
    # CommonMark does not close ** after 」 when a letter follows
    assert paragraphs("これは**「重要」**です。") == ["これは「重要」です。"]
    assert strip_inline("**FoxconnとNVIDIA") == "FoxconnとNVIDIA"


def test_lists_quotes_and_end_markers():
    md = "- 一つ目\n  続き\n- **二つ目**\n\n> 引用文\n\n1) 番号付き\n---END---\n終わり"
    assert paragraphs(md) == ["一つ目 続き", "二つ目", "引用文", "番号付き", "終わり"]
    assert headings(md) == []


def test_titles_and_excerpts_lose_inline_markup():
    front = "title: '`ls` の *使い方*'\nexcerpt: '[説明](http://x.example)'"
    post = parse_post(f"---\n{front}\n---\n本文", "a.md")
    assert (post.title, post.excerpt) == ("ls の 使い方", "説明")
    post = parse_post("Setext の題\n===\n\n本文", "b.md")
    assert post.title == "Setext の題"


POST = """---
title: 冷却の比較
---
冷却方式
========

| 方式 | 特徴 |
|------|------|
| 液浸冷却 | 静音 |

<div class="hiddenattr">
<p>見える段落</p>
</div>

[リンクの文字](https://example.invalid/secretpath)
"""


@pytest.fixture(scope="module")
def markup_engine(tmp_path_factory) -> Engine:
    root: Path = tmp_path_factory.mktemp("markup")
    (root / "data").mkdir()
    (root / "data" / "table.md").write_text(POST, "utf-8")
    with Engine(index_dir=root / "index", data_dir=root / "data") as engine:
        engine.update()
        yield engine


def test_table_cell_is_found_and_its_passage_names_the_setext_section(markup_engine):
    hits = markup_engine.search("静音").hits
    assert [h.id for h in hits] == ["table.md"]
    passage = hits[0].passages[0]
    assert passage.heading == "冷却方式"
    assert "|" not in passage.text
    assert [passage.text[a:b] for a, b in passage.highlights] == ["静音"]


@pytest.mark.parametrize("query", ["secretpath", "hiddenattr", "div"])
def test_urls_and_tags_are_not_searchable(markup_engine, query):
    assert markup_engine.search(query).total == 0


def test_html_and_link_text_is_searchable(markup_engine):
    for query in ("見える段落", "リンクの文字"):
        assert [h.id for h in markup_engine.search(query).hits] == ["table.md"], query


def test_index_built_from_older_text_is_rebuilt(tmp_path, monkeypatch):
    from search import markdown

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "table.md").write_text(POST, "utf-8")
    with Engine(index_dir=tmp_path / "index", data_dir=tmp_path / "data") as engine:
        engine.update()
        monkeypatch.setattr(markdown, "TEXT_VERSION", markdown.TEXT_VERSION + 1)
        assert engine.is_stale()
        report = engine.update()
        assert report.rebuilt and "different" in report.reason
        assert engine.search("静音").total == 1


def test_identifiers_keep_their_underscores():
    assert paragraphs("__NR_open と _GNU_SOURCE を定義する") == ["__NR_open と _GNU_SOURCE を定義する"]
    assert strip_inline("__setfpucw(3) — FPU 制御") == "__setfpucw(3) — FPU 制御"
    assert paragraphs("__太字__ と **太字**") == ["太字 と 太字"]
