"""The converter that turns Debian's Japanese documentation into benchmark posts."""

import sys
from pathlib import Path

import pytest

pytest.importorskip("bs4")
pytest.importorskip("lxml")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import debian_corpus  # noqa: E402

from search.documents import parse_post  # noqa: E402

HELP_PAGE = """<!DOCTYPE html><html lang="ja"><head><title>ボタンを挿入して編集する</title></head>
<body>
<header><a class="logo"><p>LibreOffice 7.4 ヘルプ</p></a></header>
<aside class="leftside"><div class="index-label">索引</div></aside>
<div id="DisplayArea">
<meta itemprop="keywords" content="挿入, ボタン">
<meta itemprop="keywords" content="コントロール、ドキュメントに追加">
<h1>ドキュメントにコマンド・ボタンを追加 </h1>
<p class="paragraph">フォームコントロール ツールバーを使用すると、コントロールを追加できます。</p>
<h2>ドキュメントにボタンを追加する</h2>
<ol><li><p class="listitem"><span class="menuitem">表示 → ツールバー</span> を選択します。</p></li>
<li><div class="icontable"><div class="iconcell"><p><img src="x.svg" alt="Push Button Icon"></p></div>
<div class="iconcell"><p>ボタン アイコンをクリックします。</p></div></div></li></ol>
<p>このダイアログは、<span class="switchinline">
<span hidden="true" class="MAC"><span class="emph">LibreOffice → 設定</span>
</span>
<span hidden="true" id="default1"><span class="emph">ツール → オプション</span></span></span>
 から開きます。</p>
<p class="bug">D'oh! You found a bug.</p>
<div class="relatedtopics"><p class="related">関連項目</p><a href="x.html">アドレス帳の登録</a></div>
</div>
<div id="SearchFrame"></div>
<footer><div class="debug"><p>This page is: formfields.xhp</p></div></footer>
</body></html>
"""

CHAPTER = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>第4章 認証</title></head><body>
<div class="navheader"><table><tr><th>第4章 認証</th></tr></table></div>
<div class="chapter">
<div class="titlepage"><h1 class="title"><a id="_auth"/>第4章 認証とアクセスの制御</h1></div>
<div class="toc"><dl><dt>4.1. 通常の Unix 認証</dt></dl></div>
<p>システムへのアクセスを管理するための仕組みを、この章では説明します。利用者の認証から始めます。</p>
<div class="section">
<div class="titlepage"><h2 class="title"><a id="_normal_unix_authentication"/>4.1. 通常の Unix 認証</h2></div>
<p>通常の Unix 認証は PAM によって提供されます。</p>
<div class="section"><h3 class="title">4.1.1. パスワードファイル</h3>
<pre class="screen">user1:x:1000:1000:User1 Name,,,:/home/user1:/bin/bash</pre></div></div>
<div class="section">
<div class="titlepage"><h2 class="title"><a id="_good_password"/>4.2. 良好なパスワード</h2></div>
<div class="table"><p class="title"><b>表4.1 パスワード生成ツール</b></p><table>
<tr><th>パッケージ</th><th>説明</th></tr><tr><td>pwgen</td><td>覚えやすいパスワードを生成</td></tr></table></div>
<div class="note"><table><tr><td rowspan="2"><img alt="[注記]" src="n.png"/></td><th>注記</th></tr>
<tr><td>パスワードは長いほど安全です。</td></tr></table></div></div>
</div>
<div class="navfooter"><a href="ch05.ja.html">次へ</a></div>
</body></html>
"""


def _post(page: debian_corpus.Page):
    return parse_post(debian_corpus.render_post(page), page.name)


def test_help_page_keeps_the_task_text_and_drops_navigation(tmp_path):
    html = tmp_path / "doc_open.html"
    html.write_text(HELP_PAGE, encoding="utf-8")
    page = debian_corpus.libreoffice_page(html, Path("shared/guide/doc_open.html"))
    assert page is not None and page.name == "shared_guide_doc_open.md"
    post = _post(page)
    assert post.title == "ボタンを挿入して編集する"
    assert post.categories == ("共通", "ガイド")
    assert post.tags == ("挿入", "ボタン", "コントロール", "ドキュメントに追加")
    assert [s.heading for s in post.sections] == [
        "ドキュメントにコマンド・ボタンを追加",
        "ドキュメントにボタンを追加する",
    ]
    assert "表示 → ツールバー を選択します。" in post.body
    assert "ボタン アイコンをクリックします。" in post.body
    assert "ツール → オプション から開きます。" in post.body
    for navigation in ("LibreOffice 7.4 ヘルプ", "索引", "関連項目", "D'oh", "formfields.xhp", "設定"):
        assert navigation not in post.body


def test_reference_chapter_is_split_at_its_sections(tmp_path):
    html = tmp_path / "ch04.ja.html"
    html.write_text(CHAPTER, encoding="utf-8")
    pages = list(debian_corpus.debian_reference_chapter(html))
    assert [p.name for p in pages] == [
        "ch04-00.md",
        "ch04-01-normal-unix-authentication.md",
        "ch04-02-good-password.md",
    ]
    lead, first, second = (_post(p) for p in pages)
    assert lead.title == "認証とアクセスの制御" and "4.1. 通常の Unix 認証" not in lead.body
    assert first.title == "通常の Unix 認証" and first.categories == ("認証とアクセスの制御",)
    assert [s.heading for s in first.sections] == ["4.1. 通常の Unix 認証", "4.1.1. パスワードファイル"]
    assert "/home/user1:/bin/bash" in first.body and "良好" not in first.body
    assert "pwgen" in second.body and "覚えやすいパスワードを生成" in second.body
    assert "パスワードは長いほど安全です。" in second.body and "次へ" not in second.body


def test_an_existing_folder_is_replaced_only_when_the_converter_wrote_it(tmp_path):
    page = debian_corpus.Page("a.md", "題", "本文です。", ("分類",))
    out = tmp_path / "corpus"
    assert debian_corpus.write_corpus([page], out, "x.deb")[0] == 1
    assert debian_corpus.write_corpus([page, debian_corpus.Page("b.md", "題", "本文")], out, "x.deb")[0] == 2
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.md").write_text("mine", encoding="utf-8")
    with pytest.raises(SystemExit):
        debian_corpus.write_corpus([page], foreign, "x.deb")
    assert (foreign / "keep.md").read_text(encoding="utf-8") == "mine"
