"""Suggestions for conversion slips: the right reading, the wrong kanji."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from search import Engine
from search.slips import reading_pattern

from .conftest import CORPORA, DATA

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
