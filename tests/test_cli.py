"""The command line: JSON contract, exit codes, the installed script."""

import json
import shutil
import subprocess

import pytest

from search import Engine

from .conftest import DATA, console_script


def test_missing_console_script_fails_rather_than_skips(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="no jsearch console script"):
        console_script(tmp_path / "python")


def test_json_contract(built_index, jsearch):
    out = jsearch("query", "液浸冷却", "--json", "--index", str(built_index), "--data", str(DATA))
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) >= {"query", "total", "took_ms", "hits"}
    assert doc["query"] == "液浸冷却" and doc["total"] >= 3
    # the posts that write it come first and lack nothing; the rest say what they lack
    assert [hit["missing"] for hit in doc["hits"][:3]] == [[], [], []]
    assert all(hit["missing"] == ["液浸"] for hit in doc["hits"][3:])
    for hit in doc["hits"]:
        assert set(hit) >= {"id", "path", "title", "date", "categories", "tags", "score", "passages"}
        for p in hit["passages"]:
            assert set(p) == {"text", "heading", "highlights"}
            assert all(p["text"][a:b] for a, b in p["highlights"])
    assert doc["hits"][0]["date"].startswith("2025-")


def test_library_and_cli_agree(built_index, jsearch):
    out = jsearch("query", "データセンター 電力", "--json", "--index", str(built_index), "--data", str(DATA))
    cli_ids = [h["id"] for h in json.loads(out.stdout)["hits"]]
    with Engine(index_dir=built_index, data_dir=DATA) as e:
        assert [h.id for h in e.search("データセンター 電力").hits] == cli_ids


def test_exit_codes(built_index, tmp_path, jsearch):
    common = ["--index", str(built_index), "--data", str(DATA)]
    empty = jsearch("query", "", *common)
    assert empty.returncode == 2 and "empty query" in empty.stderr
    nothing = jsearch("query", "ぴよぴよぽよ", *common)
    assert nothing.returncode == 1 and "no posts match" in nothing.stderr
    usage = jsearch("query", "x", "--bogus")
    assert usage.returncode == 2
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "something.db").write_text("x")
    damaged = jsearch("query", "NVIDIA", "--index", str(foreign), "--data", str(DATA))
    assert damaged.returncode == 3
    assert "did not create" in damaged.stderr  # --rebuild would refuse it too
    assert sorted(p.name for p in foreign.iterdir()) == ["something.db"]
    assert "Traceback" not in damaged.stderr + empty.stderr + usage.stderr


def test_query_may_begin_with_an_exclusion(built_index, jsearch):
    common = ["--index", str(built_index), "--data", str(DATA)]
    everyone = json.loads(jsearch("query", "NVIDIA", "--json", *common).stdout)["hits"]
    out = jsearch("query", "-液浸冷却 NVIDIA", "--json", *common)
    assert out.returncode == 0, out.stderr
    left = {h["id"] for h in json.loads(out.stdout)["hits"]}
    cooled = {
        h["id"] for h in json.loads(jsearch("query", "液浸冷却", "--all", "--json", *common).stdout)["hits"]
    }
    assert left == {h["id"] for h in everyone} - cooled and left
    # an ASCII token that looks like an option is still an option
    assert jsearch("query", "NVIDIA", "--bogus", *common).returncode == 2


def test_reader_that_stops_early_is_not_a_failure(built_index, jsearch_script):
    # jsearch query … | head: the pipe closes before the output is written
    for output in ([], ["--json"]):
        paths = ["--index", str(built_index), "--data", str(DATA)]
        args = [str(jsearch_script), "query", "液浸冷却", *output, *paths]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        proc.stdout.close()
        assert proc.wait(timeout=120) == 0, output
        assert "Traceback" not in proc.stderr.read()


def test_query_builds_a_missing_index_from_env_paths(tmp_path, jsearch):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    env = {"JSEARCH_DATA": str(data), "JSEARCH_INDEX": str(tmp_path / "ix")}
    out = jsearch("query", "ｎｖｉｄｉａ", "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["total"] == 5
    assert (tmp_path / "ix" / "jsearch.json").exists()


def test_human_output_shows_titles_and_passages(built_index, jsearch):
    paths = ["--index", str(built_index), "--data", str(DATA)]
    out = jsearch("query", "液浸冷却", *paths, env={"COLUMNS": "200"})
    assert out.returncode == 0
    assert "FoxconnとNVIDIAの可能性とは？" in out.stdout
    assert "液浸冷却" in out.stdout
    assert "**" not in out.stdout


def test_index_command_reports(tmp_path, jsearch):
    out = jsearch("index", "--json", "--index", str(tmp_path / "ix"), "--data", str(DATA))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert len(report["added"]) == 5 and report["rebuilt"]
    again = jsearch("index", "--json", "--index", str(tmp_path / "ix"), "--data", str(DATA))
    again = json.loads(again.stdout)
    assert again["unchanged"] == 5 and not again["added"]


def test_hits_say_which_words_they_lack(built_index, jsearch):
    common = ["--index", str(built_index), "--data", str(DATA)]
    shown = jsearch("query", "液浸冷却", *common)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.count("missing: 液浸") == 2  # the two posts that only say 冷却
    assert "contains all the words" not in shown.stdout
    # a question the posts cannot answer shows its closest posts, marked
    lacking = jsearch("query", "データセンターの電力を毎朝確認したい", *common)
    assert lacking.returncode == 0
    assert "no post shown contains all the words" in lacking.stdout
    assert "missing: 毎朝" in lacking.stdout
    doc = json.loads(jsearch("query", "データセンターの電力を毎朝確認したい", "--json", *common).stdout)
    assert all("毎朝" in hit["missing"] for hit in doc["hits"])
    # --all stays strict: nothing holds every word
    assert jsearch("query", "データセンターの電力を毎朝確認したい", "--all", *common).returncode == 1
