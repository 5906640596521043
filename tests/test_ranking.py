"""Ranking rules on small purpose-built corpora."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from search import Engine
from search.analysis import Chains
from search.models import Settings
from search.units import analyse_units, compound_parts


def corpus(root: Path, posts: dict[str, str]) -> Path:
    root.mkdir()
    for name, body in posts.items():
        (root / name).write_text(f"---\ntitle: {name}\n---\n{body}\n", "utf-8")
    return root


@contextmanager
def indexed(tmp_path: Path, posts: dict[str, str]) -> Iterator[Engine]:
    """An engine over a fresh index of ``posts`` (name → body)."""
    with Engine(index_dir=tmp_path / "ix", data_dir=corpus(tmp_path / "d", posts)) as e:
        e.update()
        yield e


@pytest.fixture()
def small(tmp_path):
    data = corpus(
        tmp_path / "data",
        {
            "exact.md": "メモリ割り当ての仕組みを説明する。",
            "apart.md": "メモリの動的な割り当てを行う関数。",
            "one.md": "メモリを増設した。",
            "other.md": "ディスクの割り当て。",
            "kanji.md": "データセンターで液浸冷却を採用した。",
        },
    )
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        e.update()
        yield e


def test_compound_first_then_its_parts_together_then_one_part_marked(small):
    hits = small.search("メモリ割り当て").hits
    assert [h.id for h in hits[:2]] == ["exact.md", "apart.md"]
    assert [h.missing for h in hits[:2]] == [(), ()]
    # a post with one of the words follows, saying which it lacks
    assert {h.id: h.missing for h in hits[2:]} == {"one.md": ("割り当て",), "other.md": ("メモリ",)}


def test_sentence_query_ranks_the_post_that_covers_it(small):
    ids = [h.id for h in small.search("メモリを割り当てる方法を知りたい").hits]
    assert ids[0] in {"exact.md", "apart.md"}
    assert "other.md" not in ids[:2]


def test_kana_reading_finds_kanji_below_exact(small):
    result = small.search("えきしんれいきゃく")
    assert [h.id for h in result.hits] == ["kanji.md"]
    spans = [p.text[a:b] for h in result.hits for p in h.passages for a, b in p.highlights]
    assert "液浸冷却" in "".join(spans)


def test_kana_query_ranks_as_the_posts_spelling_would(tmp_path):
    # the reading field holds title and body as one: alone it cannot tell a
    # post about 圧縮 from one that mentions it; the spelling learnt from
    # the posts (あっしゅく → 圧縮) ranks by where the word stands
    data = tmp_path / "d"
    data.mkdir()
    posts = {
        "gzip.md": ("ファイルを圧縮する", "gzip はファイルを圧縮する。"),
        "log.md": ("ログの管理", "古いログを圧縮して保存する。圧縮したログは一週間残す。" * 2),
        "other.md": ("関係のない話", "天気の話。"),
    }
    for name, (title, body) in posts.items():
        (data / name).write_text(f"---\ntitle: {title}\n---\n{body}\n", "utf-8")
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        e.update()
        kanji = [(h.id, h.score) for h in e.search("圧縮").hits]
        kana = [(h.id, h.score) for h in e.search("あっしゅく").hits]
        assert [i for i, _ in kana] == [i for i, _ in kanji] == ["gzip.md", "log.md"]
        for (_, typed), (_, read) in zip(kanji, kana, strict=True):
            assert read == pytest.approx(typed * e.settings.weight("reading"))
        # restricted to titles, the spelling is looked for in titles
        assert [h.id for h in e.search("title:あっしゅく").hits] == ["gzip.md"]


@pytest.mark.parametrize(
    ("query", "both", "one", "lacks"),
    [
        # two katakana words joined by particles, not one kana phrase
        (
            "ディスクがマウントされていない",
            "ディスクをマウントする手順。",
            "ディスクの状態を確かめる。",
            ("マウント",),
        ),
        # IPアドレス is one word to Sudachi: a post about addresses that never
        # says IP is weaker evidence, not no evidence
        ("IPアドレスを固定したい", "IPアドレスを固定する。", "MAC アドレスを表示する。", ("IP", "固定")),
    ],
)
def test_a_post_with_one_of_the_words_follows_and_says_what_it_lacks(tmp_path, query, both, one, lacks):
    with indexed(tmp_path, {"both.md": both, "one.md": one, "other.md": "天気の話。"}) as e:
        hits = e.search(query).hits
        assert [h.id for h in hits] == ["both.md", "one.md"]
        assert [h.missing for h in hits] == [(), lacks]


def test_katakana_words_are_cut_at_particles_and_hiragana_stays_whole():
    # half-width katakana too; Sudachi often cuts hiragana wrongly, so the
    # reading searches it whole
    assert [u.text for u in analyse_units("ﾕｰｻﾞのﾊﾟｽﾜｰﾄﾞ", None)] == ["ﾕｰｻﾞ", "ﾊﾟｽﾜｰﾄﾞ"]
    # a middle dot joins, as in other text
    assert [u.text for u in analyse_units("メッセージ・キュー", None)] == ["メッセージ・キュー"]
    assert [u.text for u in analyse_units("ぱすわーどをかえたい", None)] == ["ぱすわーどをかえたい"]


def test_parts_find_compounds(small):
    assert {h.id for h in small.search("センター").hits} == {"kanji.md"}


def test_a_compound_verb_searches_its_parts_one_per_position():
    # the parts field holds a verb's dictionary form and its stem at one
    # position; the query's phrase of parts must not ask for both in a row
    (unit,) = analyse_units("並べ替えたい", None)
    assert unit.parts == ("並べる", "替える")


def test_an_adverb_stands_alone_as_a_modifier():
    # しばらく modifies 待つ; the two are no compound that a post would hold
    units = analyse_units("しばらく待ってから実行したい", None)
    assert [(u.text, u.modifier) for u in units] == [("しばらく", True), ("待っ", True), ("実行", False)]


def test_how_to_use_weighs_as_a_modifier():
    # VLOOKUP の使い方 asks about VLOOKUP: pages on how to use other things
    # must not outrank the page of the name
    units = analyse_units("VLOOKUP 使い方", None)
    assert [(u.text, u.modifier) for u in units] == [("VLOOKUP", False), ("使い方", True)]


def test_synonyms_expand_and_can_be_turned_off(tmp_path):
    data = corpus(tmp_path / "d", {"owner.md": "ファイルの所有者を変更する。", "x.md": "関係のない話。"})
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        e.update()
        assert [h.id for h in e.search("持ち主").hits] == ["owner.md"]
        assert e.search("持ち主", synonyms=False).total == 0
        # the user's own word outranks an expansion
        (data / "own.md").write_text("---\ntitle: t\n---\nファイルの持ち主を変える。\n", "utf-8")
        e.update()
        assert [h.id for h in e.search("持ち主").hits] == ["own.md", "owner.md"]


def test_stop_parts_of_speech_are_configurable_and_fingerprinted(tmp_path):
    data = corpus(tmp_path / "d", {"a.md": "これは冷却の話です。"})
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        e.update()
        assert e.search("です").total == 0  # an auxiliary verb carries no evidence
    keep_aux = {"助詞", "補助記号", "記号", "空白"}
    with Engine(index_dir=tmp_path / "ix", data_dir=data, stoptags=keep_aux) as e:
        assert e.is_stale()
        report = e.update()
        assert report.rebuilt and "different analysis" in report.reason
        assert [h.id for h in e.search("です").hits] == ["a.md"]
        hit = e.search("です").hits[0]
        assert any(p.text[a:b] == "です" for p in hit.passages for a, b in p.highlights)


def test_long_query_ranks_every_match_and_keeps_its_exclusions(small):
    hits = small.search("メモリ 割り当て 仕組み").hits
    assert [h.id for h in hits[:2]] == ["exact.md", "apart.md"]
    assert [h.missing for h in hits[:2]] == [(), ("仕組み",)]
    assert {h.id for h in hits[2:]} == {"one.md", "other.md"}  # ranked, not cut
    excluded = [h.id for h in small.search("メモリ 割り当て 仕組み -動的").hits]
    assert excluded[0] == "exact.md" and "apart.md" not in excluded
    # --all stays strict
    assert [h.id for h in small.search("メモリ 割り当て 仕組み", require_all=True).hits] == ["exact.md"]


def test_unknown_word_found_as_exact_substring_only(tmp_path):
    data = corpus(
        tmp_path / "d",
        {
            "inside.md": "新製品ぴよぷよぽの説明。",
            "scattered.md": "ぴよぷ、よぽ、ぷよ。",  # every bigram of ぴよぷよぽ, never together
            "wide.md": "ﾋﾟﾖﾌﾟﾖﾎﾟ版もある。",  # half-width katakana
        },
    )
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        e.update()
        hits = {h.id: h for h in e.search("ぴよぷよぽ").hits}
        assert "inside.md" in hits and "scattered.md" not in hits
        assert [p.text[a:b] for p in hits["inside.md"].passages for a, b in p.highlights] == ["ぴよぷよぽ"]
        # half-width katakana (two characters per voiced kana) is found too
        assert "wide.md" in {h.id for h in e.search("ピヨプヨポ版").hits}


def test_scores_are_whooshs_bm25f_over_several_segments(data_copy, tmp_path):
    """The fast scoring loop and cached field lengths give the scores
    Whoosh's own collector and BM25F give, across segments and deletions."""
    from whoosh import scoring
    from whoosh.query import Or, Phrase, Term
    from whoosh.searching import Searcher

    from search.query import unit_query
    from search.scoring import phrase_scores, scores

    index = tmp_path / "ix"
    with Engine(index_dir=index, data_dir=data_copy) as e:
        e.update()
        first = sorted(data_copy.glob("*.md"))[0]
        first.write_text(first.read_text("utf-8") + "\n液浸冷却の追記。\n", "utf-8")
        (data_copy / "extra.md").write_text("---\ntitle: 冷却\n---\nGPU の冷却と電力。\n", "utf-8")
        e.update()  # a second segment, and a deleted document in the first
        searcher = e._searcher()
        assert len(searcher.leaf_searchers()) > 1
        reference = Searcher(
            searcher.reader(), weighting=scoring.BM25F(B=e.settings.bm25_b, K1=e.settings.bm25_k1)
        )
        texts = ("液浸冷却", "GPU 冷却", "データセンターの電力", '"液浸冷却"', "れいきゃく", "冷やしたい")
        for text in texts:
            plan = e._plan(text)
            queries = [plan.query] + [unit_query(u, e.settings, plan.memo) for u in plan.units]
            for q in queries:
                _same_as_whoosh(reference, q, scores(searcher, q), 1e-9)
        # the proximity rescoring reads postings at given posts only, and
        # gives what Whoosh's phrase matcher gives there
        everyone = range(searcher.doc_count_all())
        for words, slop in ((["液浸", "冷却"], 1), (["gpu", "冷却"], 3), (["液浸", "冷却", "技術"], 1)):
            q = Phrase("body", words, slop=slop, boost=0.5)
            assert _same_as_whoosh(reference, q, phrase_scores(searcher, q, everyone), 1e-9), words
        # phrases and boosted terms scored outright, a word repeated, a
        # segment's missing word: the same posts and the same floats
        queries = [
            Phrase("body", ["液浸", "冷却", "技術"]),
            Phrase("body", ["gpu", "冷却"], slop=3, boost=0.5),
            Phrase("body", ["冷却", "冷却"], slop=4),
            Phrase("title", ["液浸", "冷却"], boost=2.0),
            Or([Term("body", "冷却", boost=0.7), Term("title", "冷却"), Phrase("body", ["液浸", "冷却"])]),
        ]
        for q in queries:
            _same_as_whoosh(reference, q, scores(searcher, q), 1e-12)


def _same_as_whoosh(reference, q, got: dict[int, float], rel: float) -> dict[int, float]:
    """Assert that ``got`` holds the posts and scores Whoosh's own search
    of ``q`` gives, to ``rel``; returns Whoosh's scores."""
    expected = {hit.docnum: hit.score for hit in reference.search(q, limit=None)}
    assert got.keys() == expected.keys(), q
    for docnum, score in expected.items():
        assert got[docnum] == pytest.approx(score, rel=rel), q
    return expected


def test_one_occurrence_of_a_verb_counts_once(tmp_path):
    """A verb is indexed under its dictionary form and its stem (変える,
    変え) at one position; a query for it must not score the occurrence
    twice, or verbs outweigh the nouns of a question."""
    from dataclasses import replace

    from search.query import unit_query
    from search.scoring import scores

    with indexed(tmp_path, {"verb.md": "設定を変える。", "other.md": "関係のない話。"}) as e:
        searcher = e._searcher()
        (unit,) = e._plan("変える").units
        assert unit.terms[0][:2] == ("変える", "変え")
        doc = searcher.document_number(id="verb.md")
        both = scores(searcher, unit_query(unit, e.settings))
        alone = scores(searcher, unit_query(replace(unit, terms=(unit.terms[0][:1],)), e.settings))
        assert both[doc] == pytest.approx(alone[doc])


def test_neighbouring_words_found_together_rank_first(tmp_path):
    # same words, same lengths: only their distance tells the posts apart
    data = corpus(
        tmp_path / "d",
        {
            "p1.md": "ファイルの一覧を表示する。設定した名前で保存する。",
            "p2.md": "ファイルの名前で保存する。設定した一覧を表示する。",
        },
    )
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        e.update()
        hits = e.search("ファイルの名前を調べたい").hits
        assert [h.id for h in hits] == ["p2.md", "p1.md"]
        # explain gives the ranking's own score and names the proximity part
        for hit in hits:
            info = e.explain("ファイルの名前を調べたい", post_id=hit.id)
            assert info.total_score == pytest.approx(hit.score)
            assert (info.proximity > 0) == (hit.id == "p2.md")
    with Engine(index_dir=tmp_path / "ix", data_dir=data, settings=Settings(proximity_boost=0)) as e:
        hits = e.search("ファイルの名前を調べたい").hits
        assert [h.id for h in hits] == ["p1.md", "p2.md"] and hits[0].score >= hits[1].score


def test_a_long_guide_answering_in_one_section_outranks_a_passing_mention(tmp_path):
    chores = "パッケージをインストールして設定ファイルを編集し、サービスを再起動する。" * 40
    guide = "\n\n".join(
        [
            "## インストール\n\n" + chores,
            "## 設定\n\n" + chores.replace("設定ファイル", "設定項目"),
            "## ログの圧縮\n\n古いログは毎日 gzip で圧縮され、一週間保存される。",
            "## 更新\n\n" + chores.replace("インストール", "アップグレード"),
        ]
    )
    posts = {
        "guide.md": guide,
        "short.md": "ログを見てから、ファイルを圧縮して送った。",
        "image.md": "画像を圧縮する。",
        "net.md": "ネットワークの設定。",
    }
    data = corpus(tmp_path / "d", posts)
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        e.update()
        hits = e.search("ログを圧縮したい").hits
        assert [h.id for h in hits[:2]] == ["guide.md", "short.md"]
        assert hits[0].passages[0].heading == "ログの圧縮"
        info = e.explain("ログを圧縮したい", post_id="guide.md")
        assert info.section > 0 and info.total_score == pytest.approx(hits[0].score)
    # scored as a whole, the long guide loses to the short page
    with Engine(index_dir=tmp_path / "ix", data_dir=data, settings=Settings(section_weight=0)) as e:
        assert [h.id for h in e.search("ログを圧縮したい").hits[:2]] == ["short.md", "guide.md"]


def test_question_noun_outweighs_a_rarer_verb(tmp_path):
    # 作る occurs in one post, ディレクトリ in three: by rarity alone the
    # post with only the verb would win (synonyms off: 作成 would also
    # reach 作る through its synonym group)
    data = corpus(
        tmp_path / "d",
        {
            "noun.md": "ディレクトリを作成する手順。",
            "verb.md": "料理を作る手順を書く。",
            "x.md": "ディレクトリの一覧。",
            "y.md": "ディレクトリの権限。",
            "z.md": "関係のない話。",
        },
    )
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as e:
        e.update()
        ids = [h.id for h in e.search("ディレクトリを作りたい", synonyms=False).hits]
        assert ids.index("noun.md") < ids.index("verb.md")
    plain = Settings(modifier_weight=1.0, coordination=0)
    with Engine(index_dir=tmp_path / "ix", data_dir=data, settings=plain) as e:
        ids = [h.id for h in e.search("ディレクトリを作りたい", synonyms=False).hits]
        assert ids.index("verb.md") < ids.index("noun.md")


def test_demonstratives_and_interrogatives_are_not_the_subject(tmp_path):
    # どの occurs in one post, メモリ in three: by rarity alone the post
    # that says どの twice would win
    posts = {
        "free.md": "空いているメモリの量を表示する。",
        "which.md": "どの端末からでも見られる。どの利用者も同じ。",
        "x.md": "メモリを増設した。",
        "y.md": "メモリの価格。",
    }
    with indexed(tmp_path, posts) as e:
        query = "どのくらいメモリが空いているか見たい"
        assert [(u.text, u.modifier) for u in e.explain(query).units] == [
            ("どの", True),
            ("メモリ", False),
            ("空い", True),
            ("見", True),
        ]
        assert e.search(query).hits[0].id == "free.md"


def test_modifier_and_noun_are_separate_units(tmp_path):
    # 新しい modifies アカウント in the question; the answer need not say 新しい
    posts = {
        "acct.md": "ユーザアカウントを追加する手順。",
        "both.md": "新しい機能の説明。古いユーザーアカウントは削除する。",
        "watch.md": "新しい監視対象を追加する。",
    }
    with indexed(tmp_path, posts) as e:
        query = "新しいユーザーアカウントを追加したい"
        units = e.explain(query).units
        assert [u.text for u in units if not u.part] == ["新しい", "ユーザーアカウント", "追加"]
        # the dictionary's compound is followed by its words, weak evidence
        assert [u.text for u in units if u.part] == ["ユーザー", "アカウント"]
        # explain says what each weighs in a post's sum
        assert [u.weight for u in units] == [0.5, 1.0, 0.3, 0.3, 1.0]
        assert e.search(query).hits[0].id == "acct.md"


def test_a_question_verb_finds_the_noun_that_names_the_act(tmp_path):
    # 作る is only a target in Sudachi's synonym group of 作成, which
    # expands to it: a post saying 作成 answers ディレクトリを作りたい
    posts = {"make.md": "ディレクトリを作成する。", "list.md": "ディレクトリの一覧を表示する。"}
    with indexed(tmp_path, posts) as e:
        assert [h.id for h in e.search("ディレクトリを作りたい").hits][0] == "make.md"
        assert e.search("作りたい", synonyms=False).total == 0
        assert [h.id for h in e.search("作りたい").hits] == ["make.md"]


def test_a_compound_matches_across_a_space_in_the_text(tmp_path):
    # man pages and blogs put spaces around ASCII words and where lines
    # were wrapped: 16進数 is the phrase 16 + 進数 in both posts
    posts = {"spaced.md": "内容を 16 進数で表示する。", "apart.md": "16 個の値と進数の話。"}
    with indexed(tmp_path, posts) as e:
        for query in ("16進数", '"16進数"'):
            spaced, apart = e.search(query).hits
            # the phrase, not just its words (or its one bigram) apart
            assert spaced.id == "spaced.md" and spaced.score > 2 * apart.score


def test_a_dotted_compound_is_one_phrase_in_queries_and_posts(tmp_path):
    posts = {
        "dot.md": "ネットワーク・インタフェースを設定する。",
        "apart.md": "ネットワークの話。インタフェースの話。",
    }
    with indexed(tmp_path, posts) as e:
        for query in ("ネットワークインタフェース", "ネットワーク・インタフェース 設定"):
            best, *others = e.search(query).hits
            assert best.id == "dot.md" and all(best.score > 2 * h.score for h in others)


def test_a_dictionary_compound_finds_its_parts_written_apart(tmp_path):
    # Sudachi knows ユーザーID as one word; posts often write ユーザ ID
    posts = {
        "apart.md": "実効ユーザ ID を表示する。",
        "whole.md": "ユーザーIDを表示する。",
        "none.md": "ユーザの一覧。IDの話。",
    }
    with indexed(tmp_path, posts) as e:
        hits = e.search("ユーザーIDを知りたい").hits
        # the words apart in different sentences are weaker evidence, last
        assert [h.id for h in hits] == ["whole.md", "apart.md", "none.md"]
        (passage,) = hits[1].passages[:1]
        assert [passage.text[a:b] for a, b in passage.highlights] == ["ユーザ ID"]


def test_a_word_that_reads_as_one_word_alone_has_no_parts():
    # 並べ替え(たい) is a compound verb in the query, a noun read alone: its
    # only "part" would be itself
    unit = analyse_units("行を並べ替えたい", None)[1]
    assert unit.text == "並べ替え" and compound_parts(unit, Chains()) == []
    (ip,) = analyse_units("IPアドレス", None)
    assert [p.text for p in compound_parts(ip, Chains())] == ["IP", "アドレス"]


def test_a_new_field_is_one_registry_entry(tmp_path, monkeypatch):
    """The README's example: a field of section headings, searched by every
    free word at its weight and filtered by ``heading:``, with no other
    change to the code."""
    from search import fields

    headings = fields.Field(
        "headings",
        "text",
        lambda post: "\n".join(s.heading for s in post.sections),
        chain="main",
        weight=1.2,
        filters=("heading", "見出し"),
    )
    monkeypatch.setattr(fields, "FIELDS", (*fields.FIELDS, headings))
    posts = {
        "head.md": "## 冷却の方式\n\n水を使う。",
        "body.md": "## 方式\n\n冷却には水を使う。",
    }
    with indexed(tmp_path, posts) as e:
        assert [h.id for h in e.search("heading:冷却").hits] == ["head.md"]
        assert [h.id for h in e.search("見出し:方式").hits] == ["body.md", "head.md"]
        (unit,) = e.explain("冷却").units
        assert "headings:冷却^1.2" in unit.clauses
        # the heading outweighs the same word in the body
        assert [h.id for h in e.search("冷却").hits] == ["head.md", "body.md"]
        assert e.update().unchanged == 2  # the registry is part of the fingerprint
    monkeypatch.undo()
    with Engine(index_dir=tmp_path / "ix", data_dir=tmp_path / "d") as e:
        assert e.update().rebuilt


def test_a_verb_typed_as_a_word_in_its_noun_form_is_a_noun():
    # 回り込み is the continuative of 回り込む, which Japanese uses as a
    # noun; typed as a word of its own it names what is asked about, as
    # 折り返し (a noun in the dictionary) would, and is no modifier
    shape = lambda q: [(u.text, u.modifier) for u in analyse_units(q, None) if not u.part]  # noqa: E731
    assert shape("画像 回り込み") == [("画像", False), ("回り込み", False)]
    assert shape("回り込みの設定") == [("回り込み", False), ("設定", False)]
    # before an auxiliary or a conjunctive particle it is the verb
    assert shape("行を並べ替えたい") == [("行", False), ("並べ替え", True)]
    assert shape("並べ替えて保存") == [("並べ替え", True), ("保存", False)]
