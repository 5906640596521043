from datetime import UTC
from pathlib import Path

import pytest

from search.documents import iter_post_files, markdown_to_text, parse_date, parse_post, read_post
from search.errors import PostError

from .conftest import DATA


def test_sample_posts_parse_with_front_matter():
    posts = [read_post(p, DATA) for p, _ in iter_post_files(DATA)]
    assert [p.id for p in posts] == sorted(p.name for p in DATA.glob("*.md"))
    first = posts[0]
    # the title starts with ** in the file; markup must not survive
    assert first.title == "FoxconnとNVIDIAの可能性とは？"
    assert first.categories == ("投資分析",)
    assert "NVIDIA" in first.tags
    assert first.date.tzinfo is not None
    assert first.date.astimezone(UTC).isoformat() == "2025-11-23T02:33:17+00:00"
    assert first.excerpt.startswith("Foxconn、NVIDIA")


def test_only_first_block_is_front_matter_and_markup_is_removed():
    for path, _ in iter_post_files(DATA):
        post = read_post(path, DATA)
        assert "---" not in post.body
        assert "**" not in post.body
        assert "###" not in post.body
        assert not any(line.lstrip().startswith("*   ") for line in post.body.splitlines())
        assert "layout:" not in post.body


def test_headings_become_sections_at_their_offsets():
    post = read_post(DATA / "002_c2e20e116892d749.md", DATA)
    assert post.sections
    for section in post.sections:
        assert post.body[section.start :].startswith(section.heading)


def test_body_keeps_text_after_rules_and_end_markers():
    raw = "---\ntitle: T\n---\nfirst\n\n---\n\nsecond\n---END---\nthird **bold**\n"
    post = parse_post(raw, "x.md")
    assert post.body == "first\n\nsecond\n\nthird bold"


def test_bullets_and_headings():
    text, sections = markdown_to_text("### 見出し\n\n*   **項目：** 説明\n- 二つ目\n1. 三つ目")
    assert text.split("\n\n") == ["見出し", "項目： 説明", "二つ目", "三つ目"]
    assert sections[0].heading == "見出し"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-11-23 02:33:17 +0000", "2025-11-23T02:33:17+00:00"),
        ("2025-11-23T11:33:17+09:00", "2025-11-23T11:33:17+09:00"),
        ("2025-11-01", "2025-11-01T00:00:00+00:00"),
        ("2025/11/01", "2025-11-01T00:00:00+00:00"),
        ("not a date", None),
        ("2025-13-45", None),
        (None, None),
    ],
)
def test_dates_become_aware_or_none(value, expected):
    parsed = parse_date(value)
    assert (parsed.isoformat() if parsed else None) == expected


def test_bad_files_raise_post_error(tmp_path: Path):
    (tmp_path / "bad.md").write_bytes(b"---\ntitle: [unclosed\n---\nbody")
    with pytest.raises(PostError, match="not valid YAML"):
        read_post(tmp_path / "bad.md", tmp_path)
    (tmp_path / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(PostError, match="UTF-8"):
        read_post(tmp_path / "latin1.md", tmp_path)
    (tmp_path / "bin.md").write_bytes(b"\x89PNG\x00\x00")
    with pytest.raises(PostError, match="binary"):
        read_post(tmp_path / "bin.md", tmp_path)


def test_bom_crlf_and_odd_titles():
    post = parse_post("\ufeff---\r\ntitle: 123\r\ntags: solo\r\n---\r\n本文\r\n".encode(), "a.md")
    assert post.title == "123"
    assert post.tags == ("solo",)
    assert post.body == "本文"
    post = parse_post(b"---\ntitle: [a, b]\n---\n", "b.md")
    assert post.title == "a b"
    assert post.body == ""


def test_post_id_is_relative_path(tmp_path: Path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "deeper" / "p.md").write_text("---\ntitle: x\n---\ny", "utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "notes.txt").write_text("not a post", "utf-8")
    found = [read_post(p, tmp_path).id for p, _ in iter_post_files(tmp_path)]
    assert found == ["sub/deeper/p.md"]
