"""Suggestions for conversion slips: the right reading, the wrong kanji."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from search import Engine
from search.slips import reading_pattern

from .conftest import CORPORA, DATA, SLICES
from .slipmaker import make_slips

MANPAGES = CORPORA / "manpages-ja"
SCRIPT = Path(sys.executable).with_name("jsearch")


def test_an_unread_kanji_leaves_a_gap_in_the_reading():
    # Sudachi does not read 侵 alone: it may stand for any reading
    assert reading_pattern("液侵冷却") == ("エキ", None, "レイキャク")
    assert reading_pattern("液浸冷却") == ("エキシン", "レイキャク")
    assert reading_pattern("Foxconn") == ()  # no reading: nothing to compare


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("液侵冷却", "液浸冷却"),  # an unread kanji between read ones
        ("データセンターの伝力", "データセンターの電力"),  # a slip inside a longer query
        ("反動体", "半導体"),
        ("当誌", "投資"),
    ],
)
def test_slips_in_the_articles_suggest_the_word_meant(engine, typed, meant):
    result = engine.search(typed)
    assert result.suggestion == meant
    assert engine.search(meant).total > 0


@pytest.mark.parametrize("query", ["液浸冷却", "電力", "NVIDIA", "データセンター 冷却"])
def test_words_the_posts_use_get_no_suggestion(engine, query):
    assert engine.search(query).suggestion is None


@pytest.fixture(scope="module")
def manpages(tmp_path_factory):
    """An index of a few man pages (a slice: the whole set is too slow)."""
    if not MANPAGES.is_dir():
        pytest.skip("man pages corpus not present")
    root = tmp_path_factory.mktemp("manpages")
    data = root / "data"
    data.mkdir()
    for name in ("chown.1", "rm.1", "tr.1", "sed.1", "cat.1", "gzip.1", "key_setsecret.3", "zebedee.1"):
        shutil.copy(MANPAGES / f"{name}.md", data)
    with Engine(index_dir=root / "index", data_dir=data) as engine:
        engine.update()
        yield engine


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("所有社", "所有者"),
        ("作除", "削除"),
        ("文字烈", "文字列"),
        ("開業", "改行"),
        ("後悔鍵", "公開鍵"),
        ("痴漢", "置換"),
        ("偏向", "変更"),
        ("権原", "権限"),
    ],
)
def test_slips_in_the_man_pages_suggest_the_word_meant(manpages, typed, meant):
    assert manpages.search(typed, passages=0).suggestion == meant


@pytest.mark.skipif(not SCRIPT.exists(), reason="jsearch console script not installed")
def test_the_command_line_offers_the_word_meant(built_index):
    args = [str(SCRIPT), "query", "液侵冷却", "--index", str(built_index), "--data", str(DATA)]
    shown = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert "液浸冷却" in shown.stdout + shown.stderr
    doc = json.loads(subprocess.run([*args, "--json"], capture_output=True, text=True, timeout=120).stdout)
    assert doc["suggestion"] == "液浸冷却"


#: Slips made per corpus, and the share of them whose suggestion must name
#: the word meant (some slips are homophones of another word of the posts).
SLIPS_PER_CORPUS = 60
SHARE = 0.8


CORPORA_SLIPPED = ["articles", "libreoffice-help-ja", "debian-reference-ja", "manpages-ja"]


@pytest.fixture(scope="module", params=CORPORA_SLIPPED)
def corpus(request, tmp_path_factory):
    """An engine over one corpus (the repository's slices, the man pages
    the slips fixture uses) and the texts of its posts."""
    name = request.param
    if name == "manpages-ja":
        if not MANPAGES.is_dir():
            pytest.skip("man pages corpus not present")
        folder = tmp_path_factory.mktemp("manpages-slips")
        for post in sorted(MANPAGES.glob("*.md"))[:: len(list(MANPAGES.glob("*.md"))) // 150 or 1]:
            shutil.copy(post, folder)
    else:
        folder = DATA if name == "articles" else SLICES / name
    texts = [post.read_text(encoding="utf-8") for post in sorted(folder.glob("*.md"))]
    with Engine(index_dir=tmp_path_factory.mktemp("index"), data_dir=folder) as engine:
        engine.update()
        yield engine, texts


def test_slips_of_each_corpus_suggest_the_word_meant(corpus):
    # a compound of the posts with one kanji replaced by another of the
    # same reading there (削除 → 作除), as an input method offers it
    engine, texts = corpus
    slips = make_slips(texts, SLIPS_PER_CORPUS)
    assert len(slips) == SLIPS_PER_CORPUS
    missed = [
        (slip.typed, slip.meant, suggestion)
        for slip in slips
        if (suggestion := engine.search(slip.typed, limit=1, passages=0).suggestion) != slip.meant
    ]
    assert len(missed) <= (1 - SHARE) * len(slips), missed
