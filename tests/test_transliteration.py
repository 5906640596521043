"""Katakana spellings of Latin names by their consonant skeletons."""

import pytest

from search.transliteration import katakana_key, latin_key


@pytest.mark.parametrize(
    ("katakana", "latin"),
    [
        ("フォックスコン", "foxconn"),
        ("エヌビディア", "nvidia"),
        ("ブロードコム", "broadcom"),
        ("マイクロソフト", "microsoft"),
        ("リブレオフィス", "libreoffice"),
        ("デビアン", "debian"),
    ],
)
def test_a_name_and_its_katakana_share_a_skeleton(katakana, latin):
    assert katakana_key(katakana) == latin_key(latin)


@pytest.mark.parametrize(
    ("katakana", "latin"),
    [
        ("フォックスコン", "facebook"),
        ("デビアン", "python"),
        ("レジストリ", "restore"),  # voiced and voiceless differ
        ("ストレッチ", "start"),  # ッチ is ch, not t
        ("オフサイド", "bsd"),
        ("ピボットテーブル", "beautifier"),
    ],
)
def test_names_that_sound_otherwise_do_not(katakana, latin):
    assert katakana_key(katakana) != latin_key(latin)
