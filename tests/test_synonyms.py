"""Synonym expansion and the dictionary's expansion-control flag."""

from search.synonyms import Synonyms

# the dictionary's own lines for these groups (resources/synonyms.txt)
GROUPS = """\
000020,1,0,1,0,0,0,(),お金,,
000020,1,0,2,0,0,0,(),マネー,,
000020,1,0,2,0,0,1,(),money,,
000020,1,1,3,0,0,0,(),金,,
000020,1,2,3,0,0,2,(),カネ,,

000839,1,0,1,0,0,0,(),モニタリング,,
000839,1,0,1,0,0,1,(),monitoring,,
000839,1,1,2,0,0,0,(),監視,,

013968,1,0,1,0,0,0,(),削除,,
013968,1,0,2,0,0,0,(),デリート,,
013968,1,0,2,0,0,1,(),delete,,
013968,2,1,3,0,0,0,(),消す,,

022115,1,0,1,0,0,0,(),変更,,
022115,2,1,2,0,0,0,(),変わる,,
022115,2,1,3,0,0,0,(),変える,,
022115,2,1,3,0,0,2,(),かえる,,
"""


def expand(word: str, gid: int) -> list[str]:
    return Synonyms(text="\n" + GROUPS).expand((gid,), {word})


def test_a_trigger_expands_to_its_whole_group_but_never_to_a_retired_word():
    assert expand("変更", 22115) == ["変わる", "変える", "かえる"]
    assert expand("お金", 20) == ["マネー", "money", "金"]  # カネ has flag 2: never used


def test_a_target_only_verb_reaches_the_words_that_expand_to_it():
    # 変える (flag 1) triggers nothing, but 変更 (flag 0) expands to it, so
    # a post saying 変更 answers a question saying 変える
    assert expand("変える", 22115) == ["変更"]
    assert expand("消す", 13968) == ["削除", "デリート", "delete"]


def test_a_target_only_noun_expands_to_nothing():
    # a noun marked target-only is often ambiguous on its own (監視 of a
    # prisoner is no モニタリング)
    assert expand("監視", 839) == []


def test_a_retired_word_expands_to_nothing():
    assert expand("カネ", 20) == []
