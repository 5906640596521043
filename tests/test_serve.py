"""`jsearch serve`: the JSON API's contract, the search page, escaping and
path safety, driven in-process with the framework's test client."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search import Engine
from search.models import Hit, Passage, SearchResult
from search.web.app import _environment, create_app

from .conftest import DATA
from .server_process import running_server

SCRIPT = Path(sys.executable).with_name("jsearch")
HOSTILE_QUERY = '"><img src=x onerror=alert(1)>'


@pytest.fixture()
def client(engine):
    with TestClient(create_app(engine), raise_server_exceptions=False) as c:
        yield c


def _cli_json(*args: str, index: Path) -> dict:
    out = subprocess.run(
        [str(SCRIPT), "query", *args, "--json", "--index", str(index), "--data", str(DATA)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _without_time(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "took_ms"}


@pytest.mark.parametrize(
    ("cli_args", "params"),
    [
        (["液浸冷却", "--facets"], {"q": "液浸冷却", "facets": "true"}),
        (
            ["データセンター 電力", "--limit", "2", "--offset", "1", "--sort", "-date", "--all"],
            {"q": "データセンター 電力", "limit": 2, "offset": 1, "sort": "-date", "all": "true"},
        ),
    ],
)
def test_api_search_is_the_cli_json_document(client, built_index, cli_args, params):
    cli = _cli_json(*cli_args, index=built_index)
    response = client.get("/api/search", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert _without_time(response.json()) == _without_time(cli)
    assert cli["hits"], "the comparison must cover hits"


def test_api_errors_are_json_with_the_cli_status(client):
    for params in ({"q": ""}, {"q": "x" * 1001}, {"q": "液浸", "limit": 1001}, {"q": "液浸", "sort": "size"}):
        response = client.get("/api/search", params=params)
        assert response.status_code == 400, params
        body = response.json()
        assert set(body) == {"error", "code"} and body["error"], body
    assert client.get("/api/search", params={"q": ""}).json()["code"] == "bad_query"
    for path in ("/api/posts/nope.md", "/api/similar/nope.md"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "unknown_post"


def test_index_problem_is_503_and_a_bug_is_a_500_that_says_so(tmp_path, engine):
    with Engine(index_dir=tmp_path / "none", data_dir=DATA) as empty:
        with TestClient(create_app(empty)) as c:
            for path in ("/api/search?q=液浸", "/api/health"):
                response = c.get(path)
                assert response.status_code == 503
                assert response.json()["code"] == "index_missing"
            page = c.get("/", params={"q": "液浸"})
            assert page.status_code == 503 and 'role="alert"' in page.text

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    engine.search = broken
    with TestClient(create_app(engine), raise_server_exceptions=False) as c:
        response = c.get("/api/search", params={"q": "液浸"})
        assert response.status_code == 500
        body = response.json()
        assert body["code"] == "internal_error"
        assert "bug" in body["error"] and "boom" in body["error"] and "damaged" not in body["error"]
        page = c.get("/", params={"q": "液浸"})
        assert page.status_code == 500 and "bug" in page.text


def test_health_reports_posts_generation_and_staleness(tmp_path, data_copy):
    with Engine(index_dir=tmp_path / "index", data_dir=data_copy) as engine:
        engine.update()
        with TestClient(create_app(engine, watching=False)) as c:
            health = c.get("/api/health").json()
            assert health["posts"] == 5 and health["stale"] is False
            assert health["generation"].startswith("posts-") and health["watching"] is False
            post = data_copy / "001_bbe059e7aa7c923b.md"
            post.write_text(post.read_text("utf-8") + "\n追記\n", "utf-8")
            assert c.get("/api/health").json()["stale"] is True


def test_api_post_and_similar(client):
    post = client.get("/api/posts/000_b8fa68eb6a450baa.md").json()
    assert post["title"] == "FoxconnとNVIDIAの可能性とは？"
    assert "NVIDIA" in post["tags"] and post["date"].startswith("2025-11-23")
    assert "AIインフラ" in post["text"] and "**" not in post["text"]  # plain text
    assert post["markdown"].lstrip().startswith("**Foxconn")  # the source, without front matter
    similar = client.get("/api/similar/000_b8fa68eb6a450baa.md", params={"limit": 3}).json()
    ids = [h["id"] for h in similar["hits"]]
    assert ids and "000_b8fa68eb6a450baa.md" not in ids and len(ids) <= 3


def test_openapi_describes_the_api(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/search", "/api/health"} <= set(paths)
    names = {p["name"] for p in paths["/api/search"]["get"]["parameters"]}
    assert {"q", "limit", "offset", "sort", "facets", "all"} <= names


# --- the search page ---------------------------------------------------------


def _hit_ids(html: str) -> list[str]:
    return re.findall(r'<li class="hit" data-id="([^"]+)"', html)


def test_page_shows_hits_with_marked_passages_facets_and_sorting(client):
    page = client.get("/", params={"q": "液浸冷却"})
    assert page.status_code == 200
    html = page.text
    # the three posts that write it, then two that only say 冷却, marked
    assert len(_hit_ids(html)) == 5
    assert html.count("<mark>液浸冷却</mark>") >= 3
    assert html.count('<p class="missing">含まれない語: <s>液浸</s></p>') == 2
    assert "5</strong> 件中" in html and " ms）" in html
    assert 'value="液浸冷却"' in html  # the query stays in the box
    assert "/?q=%E6%B6%B2%E6%B5%B8%E5%86%B7%E5%8D%B4+tag%3A" in html  # facet links add tag:
    assert "category%3A" in html and "sort=-date" in html
    assert "/posts/000_b8fa68eb6a450baa.md?q=" in html and "#passage" in html


def test_page_marks_exact_spans():
    passage = Passage("まず液浸冷却、次に空冷。", "冷却方式", ((2, 6), (9, 11)))
    result = SearchResult("q", 1, 1.0, (Hit("a.md", "a.md", "T", None, (), (), 1.0, (passage,)),))
    html = _render(result)
    assert "まず<mark>液浸冷却</mark>、次に<mark>空冷</mark>。" in html
    assert "§ 冷却方式" in html


@dataclass(frozen=True)
class _HitWithMissing(Hit):
    missing: tuple[str, ...] = ()


def test_page_names_missing_words_when_a_hit_has_them():
    hit = _HitWithMissing("a.md", "a.md", "T", None, (), (), 1.0, (), missing=("量子",))
    html = _render(SearchResult("液浸 量子", 1, 1.0, (hit,)))
    assert "含まれない語" in html and "<s>量子</s>" in html
    plain = Hit("a.md", "a.md", "T", None, (), (), 1.0, ())
    assert "含まれない語" not in _render(SearchResult("液浸", 1, 1.0, (plain,)))


def _render(result: SearchResult) -> str:
    from search.web import views

    template = _environment().get_template("search.html")
    paging = views.paging(result.total, 1, 10)
    return template.render(q=result.query, sort="relevance", limit=10, result=result, paging=paging)


def test_page_pages_through_hits(client):
    first = client.get("/", params={"q": "AI", "limit": 2}).text
    second = client.get("/", params={"q": "AI", "limit": 2, "page": 2}).text
    assert 'rel="next" href="/?q=AI&amp;page=2&amp;limit=2"' in first
    assert 'rel="prev"' in second and 'aria-current="page">2<' in second
    assert _hit_ids(first) and _hit_ids(second) and not set(_hit_ids(first)) & set(_hit_ids(second))


def test_page_offers_did_you_mean_as_a_link(client):
    html = client.get("/", params={"q": "Nvidai"}).text
    assert "一致する記事はありません" in html
    assert 'もしかして: <a href="/?q=nvidia">nvidia</a>' in html


def test_page_bad_query_is_a_400_page(client):
    page = client.get("/", params={"q": "-冷却"})
    assert page.status_code == 400
    assert 'role="alert"' in page.text and 'value="-冷却"' in page.text


def test_post_view_renders_markdown_with_marks_and_an_anchor(client):
    page = client.get("/posts/000_b8fa68eb6a450baa.md", params={"q": "液浸冷却", "at": 0})
    assert page.status_code == 200
    html = page.text
    assert "<h1>FoxconnとNVIDIAの可能性とは？</h1>" in html
    assert "<strong>FoxconnとNVIDIA" in html  # Markdown, rendered
    assert html.count('id="passage"') == 1
    anchored = html[html.index('id="passage"') :]
    assert "<mark>液浸冷却</mark>" in anchored[: anchored.index("</p>")]
    plain = client.get("/posts/000_b8fa68eb6a450baa.md").text
    assert "<mark>" not in plain and 'id="passage"' not in plain


# --- escaping and paths --------------------------------------------------------


EVIL_POST = (
    "---\ntitle: '<b>太字</b>のタイトル'\ntags: ['<i>タグ</i>']\n---\n"
    "液浸冷却の本文 <script>alert(1)</script> です。\n\n"
    "<img src=x onerror=alert(2)> と [リンク](javascript:alert(3)) もあります。\n"
)


def _hostile_site(root: Path) -> tuple[Path, Path, Path]:
    """The posts plus one full of markup, a secret file outside the data
    folder and symlinks to it, and an index of them: (data, index, secret)."""
    data = root / "data"
    shutil.copytree(DATA, data)
    (data / "evil.md").write_text(EVIL_POST, "utf-8")
    secret = root / "secret.md"
    secret.write_text("---\ntitle: 秘密\n---\nSECRET-CONTENT 液浸冷却\n", "utf-8")
    os.symlink(secret, data / "link.md")
    os.symlink(root, data / "linkdir")
    with Engine(index_dir=root / "index", data_dir=data) as engine:
        engine.update()
    return data, root / "index", secret


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A test client over :func:`_hostile_site` (read-only use)."""
    data, index, secret = _hostile_site(tmp_path_factory.mktemp("hostile"))
    with Engine(index_dir=index, data_dir=data) as engine, TestClient(create_app(engine)) as c:
        yield c, data, secret


def test_markup_in_posts_and_queries_is_shown_as_text(hostile):
    client, _, _ = hostile
    html = client.get("/", params={"q": "液浸冷却"}).text
    assert "evil.md" in html
    for raw in ("<script>alert(1)</script>", "<b>太字</b>", "<i>タグ</i>"):
        assert raw not in html
    assert "#&lt;i&gt;タグ&lt;/i&gt;" in html  # a tag keeps its markup, as text
    post = client.get("/posts/evil.md", params={"q": "液浸冷却"}).text
    for raw in ("<script>alert(1)</script>", "<img src=x", 'href="javascript:'):
        assert raw not in post
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in post and "&lt;img src=x onerror=alert(2)&gt;" in post
    page = client.get("/", params={"q": HOSTILE_QUERY})
    assert "<img src=x" not in page.text and HOSTILE_QUERY not in page.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/posts/../../etc/passwd",
        "/posts/%2E%2E/%2E%2E/etc/passwd",
        "/posts/..%2F..%2Fetc%2Fpasswd",
        "/posts/%2Fetc%2Fpasswd",
        "/posts//etc/passwd",
        "/posts/link.md",
        "/posts/linkdir/secret.md",
        "/api/posts/..%2Fsecret.md",
        "/api/posts/link.md",
        "/api/similar/..%2Fsecret.md",
    ],
)
def test_paths_outside_the_index_are_404(hostile, path):
    client, _, _ = hostile
    response = client.get(path)
    assert response.status_code == 404, path
    assert "SECRET" not in response.text and "root:" not in response.text


def test_an_indexed_post_swapped_for_a_symlink_is_404(tmp_path):
    data, index, secret = _hostile_site(tmp_path)
    with Engine(index_dir=index, data_dir=data) as engine, TestClient(create_app(engine)) as client:
        assert client.get("/posts/002_c2e20e116892d749.md").status_code == 200
        target = data / "002_c2e20e116892d749.md"
        target.unlink()
        os.symlink(secret, target)  # the index still holds the id
        for path in ("/posts/002_c2e20e116892d749.md", "/api/posts/002_c2e20e116892d749.md"):
            response = client.get(path)
            assert response.status_code == 404 and "SECRET" not in response.text


# --- the command ---------------------------------------------------------------


def test_plain_query_does_not_import_the_server_stack(built_index):
    code = (
        "import sys\n"
        "from search.cli import main\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "stack = {'fastapi', 'starlette', 'uvicorn', 'jinja2', 'pydantic', 'markdown_it'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & stack))\n"
    )
    args = ["query", "液浸冷却", "--json", "--index", str(built_index), "--data", str(DATA)]
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, check=True
    )
    *document, loaded = out.stdout.strip().splitlines()
    assert json.loads(document[0])["total"] == 5
    assert loaded == "[]"


def _get(url: str, raw_path: str) -> tuple[int, str]:
    """GET a path exactly as written (no client-side normalisation)."""
    from urllib.parse import urlsplit

    where = urlsplit(url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    try:
        conn.request("GET", raw_path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_serve_command_serves_watches_refuses_paths_and_stops_on_ctrl_c(tmp_path):
    data, index, _ = _hostile_site(tmp_path)
    with running_server(data, index) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", server.url)
        status, body = _get(server.url, "/api/search?q=%E6%B6%B2%E6%B5%B8%E5%86%B7%E5%8D%B4")
        ids = [h["id"] for h in json.loads(body)["hits"]]
        # the five posts and evil.md, never the linked secret
        assert status == 200 and len(ids) == 6 and "evil.md" in ids
        for raw in (
            "/posts/../../../../etc/passwd",
            "/posts/%2e%2e/secret.md",
            "/posts/..%2fsecret.md",
            "/posts/%2Fetc%2Fpasswd",
            "/posts/link.md",
            "/posts/linkdir/secret.md",
            "/api/posts/..%2F..%2Fsecret.md",
        ):
            status, body = _get(server.url, raw)
            assert status == 404, raw
            assert "SECRET" not in body and "root:" not in body

        post = data / "001_bbe059e7aa7c923b.md"
        post.write_text(post.read_text("utf-8") + "\n新しい段落 zqxwvfresh です。\n", "utf-8")
        server.wait_for_line(r"updated index: .*001_bbe059e7aa7c923b\.md")
        status, body = _get(server.url, "/api/search?q=zqxwvfresh")
        assert status == 200 and [h["id"] for h in json.loads(body)["hits"]] == ["001_bbe059e7aa7c923b.md"]
        assert server.stop() == 0
        server.wait_for_line(r"jsearch: stopped", timeout=10)
