"""A site's own synonym groups: the file, the engine, the command line."""

import json

import pytest

from search import Engine
from search.errors import ArgumentError
from search.synonyms import read_groups

POSTS = {
    "vcs.md": "VCS としては Git を使う。ブランチを作ってコミットする。",
    "manage.md": "パッケージの管理とバージョンの確認について。",
    "other.md": "関係のない話。",
}


def corpus(root, posts=POSTS):
    root.mkdir()
    for name, body in posts.items():
        (root / name).write_text(f"---\ntitle: {name}\n---\n{body}\n", "utf-8")
    return root


def test_groups_are_read_one_per_line_with_comments_and_either_comma(tmp_path):
    path = tmp_path / "synonyms.txt"
    path.write_text("# our words\n\nバージョン管理, VCS\n回り込み、折り返し，ラップ\n", "utf-8")
    assert read_groups(path) == (("バージョン管理", "VCS"), ("回り込み", "折り返し", "ラップ"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"VCS\n", "line 1: a group needs two words or more"),
        (b"# c\nVCS, VCS\n", "line 2: a group needs two words or more"),
        (b"\xff\xfe\x00V", "not UTF-8"),
        (b"a, b\x00c\n", "line 1: not text"),
        (b"a, b\n" * 300_000, "larger than 1024 KiB"),
        (",".join(f"w{i}" for i in range(17)).encode(), "line 1: more than 16 words in one group"),
    ],
)
def test_an_unusable_file_is_a_typed_error_naming_the_problem(tmp_path, content, message):
    path = tmp_path / "synonyms.txt"
    path.write_bytes(content)
    with pytest.raises(ArgumentError, match=message):
        read_groups(path)
    with pytest.raises(ArgumentError, match=message):
        Engine(index_dir=tmp_path / "ix", data_dir=tmp_path, synonyms_file=path)


def test_a_missing_file_is_a_typed_error(tmp_path):
    with pytest.raises(ArgumentError, match="synonyms file"):
        Engine(index_dir=tmp_path / "ix", data_dir=tmp_path, synonyms_file=tmp_path / "none.txt")
    with pytest.raises(TypeError):
        Engine(index_dir=tmp_path / "ix", data_dir=tmp_path, synonyms_file=3)


def test_a_compound_finds_the_posts_that_use_the_site_word_for_it(tmp_path):
    data = corpus(tmp_path / "d")
    groups = tmp_path / "synonyms.txt"
    groups.write_text("バージョン管理, ＶＣＳ\n", "utf-8")  # width and case as a query's
    with Engine(index_dir=tmp_path / "ix", data_dir=data) as plain:
        plain.update()
        assert "vcs.md" not in [h.id for h in plain.search("バージョン管理").hits]
    with Engine(index_dir=tmp_path / "ix", data_dir=data, synonyms_file=groups) as e:
        hits = e.search("バージョン管理").hits
        # the site's word is the compound itself: it outranks a post with
        # the compound's words apart, is missing nothing and is highlighted
        assert [h.id for h in hits] == ["vcs.md", "manage.md"]
        assert hits[0].missing == ()
        assert "VCS" in [p.text[a:b] for p in hits[0].passages for a, b in p.highlights]
        # either way round, and off with the dictionary's synonyms
        assert [h.id for h in e.search("vcs").hits][:1] == ["vcs.md"]
        assert "vcs.md" not in [h.id for h in e.search("バージョン管理", synonyms=False).hits]


def test_the_command_line_reads_the_file_named_by_the_environment(tmp_path, jsearch):
    data = corpus(tmp_path / "d")
    groups = tmp_path / "synonyms.txt"
    groups.write_text("バージョン管理, VCS\n", "utf-8")
    args = ("query", "バージョン管理", "--json", "--data", str(data), "--index", str(tmp_path / "ix"))
    plain = jsearch(*args)
    own = jsearch(*args, env={"JSEARCH_SYNONYMS": str(groups)})
    assert plain.returncode == own.returncode == 0, own.stderr
    assert "vcs.md" not in [h["id"] for h in json.loads(plain.stdout)["hits"]]
    assert json.loads(own.stdout)["hits"][0]["id"] == "vcs.md"
    groups.write_text("VCS\n", "utf-8")
    bad = jsearch(*args, env={"JSEARCH_SYNONYMS": str(groups)})
    assert bad.returncode == 2
    expected = f"jsearch: synonyms file {groups}, line 1: a group needs two words or more"
    assert bad.stderr.strip().splitlines() == [expected]
    # indexing never uses the file, so a bad one does not stop it
    index = jsearch(
        "index", "--data", str(data), "--index", str(tmp_path / "ix"), env={"JSEARCH_SYNONYMS": str(groups)}
    )
    assert index.returncode == 0, index.stderr
