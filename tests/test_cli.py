"""The command line: JSON contract, exit codes, the installed script."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from search import Engine

from .conftest import DATA

SCRIPT = Path(sys.executable).with_name("jsearch")


def run(*args, env=None, cwd=None):
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="jsearch console script not installed")


def test_json_contract(built_index):
    out = run("query", "液浸冷却", "--json", "--index", str(built_index), "--data", str(DATA))
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) >= {"query", "total", "took_ms", "hits"}
    assert doc["query"] == "液浸冷却" and doc["total"] == 3
    for hit in doc["hits"]:
        assert set(hit) >= {"id", "path", "title", "date", "categories", "tags", "score", "passages"}
        for p in hit["passages"]:
            assert set(p) == {"text", "heading", "highlights"}
            assert all(p["text"][a:b] for a, b in p["highlights"])
    assert doc["hits"][0]["date"].startswith("2025-")


def test_library_and_cli_agree(built_index):
    out = run("query", "データセンター 電力", "--json", "--index", str(built_index), "--data", str(DATA))
    cli_ids = [h["id"] for h in json.loads(out.stdout)["hits"]]
    with Engine(index_dir=built_index, data_dir=DATA) as e:
        assert [h.id for h in e.search("データセンター 電力").hits] == cli_ids


def test_exit_codes(built_index, tmp_path):
    common = ["--index", str(built_index), "--data", str(DATA)]
    empty = run("query", "", *common)
    assert empty.returncode == 2 and "empty query" in empty.stderr
    nothing = run("query", "ぴよぴよぽよ", *common)
    assert nothing.returncode == 1 and "no posts match" in nothing.stderr
    usage = run("query", "x", "--bogus")
    assert usage.returncode == 2
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "something.db").write_text("x")
    damaged = run("query", "NVIDIA", "--index", str(foreign), "--data", str(DATA))
    assert damaged.returncode == 3
    assert "did not create" in damaged.stderr  # --rebuild would refuse it too
    assert sorted(p.name for p in foreign.iterdir()) == ["something.db"]
    assert "Traceback" not in damaged.stderr + empty.stderr + usage.stderr


def test_query_may_begin_with_an_exclusion(built_index):
    common = ["--index", str(built_index), "--data", str(DATA)]
    everyone = json.loads(run("query", "NVIDIA", "--json", *common).stdout)["hits"]
    out = run("query", "-液浸冷却 NVIDIA", "--json", *common)
    assert out.returncode == 0, out.stderr
    left = {h["id"] for h in json.loads(out.stdout)["hits"]}
    cooled = {h["id"] for h in json.loads(run("query", "液浸冷却", "--json", *common).stdout)["hits"]}
    assert left == {h["id"] for h in everyone} - cooled and left
    # an ASCII token that looks like an option is still an option
    assert run("query", "NVIDIA", "--bogus", *common).returncode == 2


def test_reader_that_stops_early_is_not_a_failure(built_index):
    # jsearch query … | head: the pipe closes before the output is written
    for output in ([], ["--json"]):
        args = [str(SCRIPT), "query", "液浸冷却", *output, "--index", str(built_index), "--data", str(DATA)]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        proc.stdout.close()
        assert proc.wait(timeout=120) == 0, output
        assert "Traceback" not in proc.stderr.read()


def test_query_builds_a_missing_index_from_env_paths(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    env = {"JSEARCH_DATA": str(data), "JSEARCH_INDEX": str(tmp_path / "ix")}
    out = run("query", "ｎｖｉｄｉａ", "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["total"] == 5
    assert (tmp_path / "ix" / "jsearch.json").exists()


def test_human_output_shows_titles_and_passages(built_index):
    out = run("query", "液浸冷却", "--index", str(built_index), "--data", str(DATA), env={"COLUMNS": "200"})
    assert out.returncode == 0
    assert "FoxconnとNVIDIAの可能性とは？" in out.stdout
    assert "液浸冷却" in out.stdout
    assert "**" not in out.stdout


def test_index_command_reports(tmp_path):
    out = run("index", "--json", "--index", str(tmp_path / "ix"), "--data", str(DATA))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert len(report["added"]) == 5 and report["rebuilt"]
    again = json.loads(run("index", "--json", "--index", str(tmp_path / "ix"), "--data", str(DATA)).stdout)
    assert again["unchanged"] == 5 and not again["added"]
