"""The commands besides query and index: analyze, explain, similar, watch."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading

import pytest

from .conftest import DATA

FOXCONN = "000_b8fa68eb6a450baa.md"  # mentions 液浸冷却 and 空冷
COOLING = "003_2b17ebb8078eb733.md"  # mentions 液浸冷却, not 空冷
NVIDIA_CEO = "004_885ec092a0712be0.md"  # mentions neither


def paths(index) -> list[str]:
    return ["--index", str(index), "--data", str(DATA)]


def test_analyze_shows_terms_at_their_offsets(jsearch):
    text = "サーバーを変更した"
    out = jsearch("analyze", text, "--field", "body", "--json")
    assert out.returncode == 0, out.stderr
    terms = json.loads(out.stdout)
    assert {t["field"] for t in terms} == {"body"}
    assert [t["term"] for t in terms] == ["サーバ", "変更"]  # normalised, particles dropped
    for t in terms:
        assert text[t["start"] : t["end"]] == t["surface"]
    table = jsearch("analyze", text, env={"COLUMNS": "200"})
    assert table.returncode == 0, table.stderr
    assert "サーバ" in table.stdout and "reading" in table.stdout
    every = json.loads(jsearch("analyze", text, "--json").stdout)
    assert {t["field"] for t in every} >= {"body", "parts", "reading", "ngram"}


def test_analyze_rejects_an_unknown_field(jsearch):
    out = jsearch("analyze", "テキスト", "--field", "nosuch")
    assert out.returncode == 2
    assert "unknown field" in out.stderr and "Traceback" not in out.stderr


def test_explain_names_units_exclusions_and_whether_a_post_matches(built_index, jsearch):
    def explain(query: str, post_id: str) -> dict:
        out = jsearch("explain", query, "--json", "--id", post_id, *paths(built_index))
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    info = explain("液浸冷却 -空冷", COOLING)
    # the compound, then its words as weaker evidence
    assert [u["text"] for u in info["units"]] == ["液浸冷却", "液浸", "冷却"]
    assert info["excluded"] == ["空冷"]
    assert info["post_id"] == COOLING and info["matched"] and info["total_score"] > 0
    assert not explain("液浸冷却 -空冷", FOXCONN)["matched"]  # it mentions 空冷 too
    assert explain("液浸冷却", FOXCONN)["matched"]
    # a post that only says 冷却 may match on the compound's words, far below
    passing = explain("液浸冷却", NVIDIA_CEO)
    assert passing["total_score"] < explain("液浸冷却", COOLING)["total_score"] / 2


def test_explain_for_people_and_for_an_unknown_post(built_index, jsearch):
    out = jsearch("explain", "液浸冷却", "--id", FOXCONN, *paths(built_index), env={"COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    assert "液浸冷却" in out.stdout and f"{FOXCONN} matches" in out.stdout
    missing = jsearch("explain", "液浸冷却", "--id", "nosuch.md", *paths(built_index))
    assert missing.returncode == 1
    assert "no post with id 'nosuch.md'" in missing.stderr and "Traceback" not in missing.stderr


def test_similar_lists_other_posts(built_index, jsearch):
    out = jsearch("similar", FOXCONN, "--json", "--limit", "2", *paths(built_index))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    found = [h["id"] for h in result["hits"]]
    assert len(found) == 2 and FOXCONN not in found
    assert result["total"] == 4  # every other post shares its key terms
    human = jsearch("similar", FOXCONN, *paths(built_index), env={"COLUMNS": "200"})
    assert human.returncode == 0 and found[0] in human.stdout


def test_similar_to_an_unknown_post_exits_1(built_index, jsearch):
    out = jsearch("similar", "nosuch.md", *paths(built_index))
    assert out.returncode == 1
    assert "no post with id 'nosuch.md'" in out.stderr and "Traceback" not in out.stderr


def test_watch_without_a_data_folder_is_a_usage_error(tmp_path, jsearch):
    out = jsearch("watch", "--data", str(tmp_path / "nowhere"), "--index", str(tmp_path / "ix"))
    assert out.returncode == 2 and "does not exist" in out.stderr


def test_watch_reports_an_edit_and_stops_cleanly_on_ctrl_c(tmp_path, data_copy, jsearch_script):
    args = ["watch", "--debounce", "0.1", "--data", str(data_copy), "--index", str(tmp_path / "ix")]
    # the fault handler dumps every thread's stack on SIGABRT, should the
    # process fail to stop
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    proc = subprocess.Popen(
        [str(jsearch_script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()

    def next_line() -> str:
        try:
            return lines.get(timeout=120)
        except queue.Empty:
            proc.kill()
            pytest.fail(f"jsearch watch printed nothing; stderr: {proc.stderr.read()}")

    try:
        first = next_line()
        assert first.startswith("rebuilt index") and "5 added" in first
        post = data_copy / FOXCONN
        post.write_text(post.read_text("utf-8") + "\n追記した段落：蓄電池の話。\n", "utf-8")
        line = next_line()
        assert line.startswith("updated index") and "1 updated" in line and FOXCONN in line
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            proc.wait(timeout=30)
            pytest.fail(f"jsearch watch did not stop on Ctrl-C; its threads:\n{proc.stderr.read()}")
    stderr = proc.stderr.read()
    assert code == 0, stderr
    assert "stopped" in stderr and "Traceback" not in stderr
