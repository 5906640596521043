"""Build development corpora from Japanese documentation packaged by Debian.

    python benchmarks/debian_corpus.py                   # both corpora
    python benchmarks/debian_corpus.py libreoffice-help-ja --out /tmp/corpora
    python benchmarks/debian_corpus.py --debs ~/debs     # .deb files already at hand
    python benchmarks/debian_corpus.py --slices          # the test slices in tests/corpora/

Each corpus is a folder of Markdown posts with YAML front matter, the shape of
the posts in ``data/``, written to ``benchmarks/corpora/<name>/`` by default:

``libreoffice-help-ja``
    LibreOffice's Japanese help (package ``libreoffice-help-ja``), one post per
    help page: end-user task language ("ドキュメントにボタンを追加する").  The
    title is the page's title, the categories are the application and the
    part of the help (``["Writer", "ガイド"]``), the tags are the page's index
    entries.  Navigation, the related-topics list, icons and the debug footer
    are dropped; where a sentence differs by system, the default (not macOS)
    wording is kept.

``debian-reference-ja``
    The Debian Reference in Japanese (package ``debian-reference-ja``): long
    chapters, split into one post per section (``4.1``, ``4.2`` …) with the
    subsections' headings kept inside; a chapter's text before its first
    section is a post of its own.  The category is the chapter's title.

With ``--slices`` only the posts that the corpus's query sets judge relevant
(grade above 0 in ``tests/relevance/<set>*.jsonl``) are written, beside the
package's copyright file, to ``tests/corpora/<name>/`` by default: small
enough to live in the repository, so that the tests run on every corpus.

The packages are fetched with ``apt-get download`` into a temporary folder and
unpacked with ``dpkg-deb -x``; nothing else is read from the network.  An
existing output folder is replaced only when this script wrote it (it leaves
a ``.debian-corpus`` marker).  Counts and sizes are printed at the end.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag, XMLParsedAsHTMLWarning

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks/corpora"
SLICES_OUT = ROOT / "tests/corpora"
SETS = ROOT / "tests/relevance"
MARKER = ".debian-corpus"

# --- posts -------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One converted post: file name, front matter fields and Markdown body."""

    name: str
    title: str
    body: str
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = field(default=())


def render_post(page: Page) -> str:
    """The post file's text: YAML front matter (JSON-quoted strings) and body."""
    lines = ["---", "layout: post", f"title: {_quote(page.title)}"]
    lines.append(f"categories: [{', '.join(_quote(c) for c in page.categories)}]")
    if page.tags:
        lines.append(f"tags: [{', '.join(_quote(t) for t in page.tags)}]")
    lines += ["---", page.body.rstrip(), ""]
    return "\n".join(lines)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# --- HTML to Markdown ----------------------------------------------------------

_SPACE = re.compile(r"\s+")
_BLOCKS = {"p", "div", "ul", "ol", "dl", "table", "pre", "section", "blockquote", "h1", "h2", "h3", "h4"}
_BLOCKS |= {"h5", "h6", "li", "dt", "dd", "tr", "td", "th", "tbody", "thead", "span"}


def inline_text(node: Tag | NavigableString) -> str:
    """The text of an element on one line, whitespace collapsed."""
    text = node.get_text("") if isinstance(node, Tag) else str(node)
    return _SPACE.sub(" ", text).strip()


def to_markdown(root: Tag) -> str:
    """Markdown for the blocks below ``root``: headings, paragraphs, lists,
    tables and code, one block per paragraph."""
    return "\n\n".join(block for block in _blocks(root) if block.strip())


def _blocks(node: Tag) -> Iterator[str]:
    loose: list[str] = []
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not a comment or doctype
                loose.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        if not _is_block(child):
            loose.append(inline_text(child) if child.name != "br" else " ")
            continue
        if text := _SPACE.sub(" ", "".join(loose)).strip():
            yield text
        loose.clear()
        yield from _block(child)
    if text := _SPACE.sub(" ", "".join(loose)).strip():
        yield text


def _is_block(tag: Tag) -> bool:
    if tag.name == "span":  # a span holding blocks (LibreOffice's switches) is a container
        return any(isinstance(c, Tag) and c.name in _BLOCKS - {"span"} for c in tag.descendants)
    return tag.name in _BLOCKS


def _block(tag: Tag) -> Iterator[str]:
    name = tag.name
    if name in {"h1", "h2", "h3", "h4", "h5", "h6"}:
        if text := inline_text(tag):
            yield f"{'#' * int(name[1])} {text}"
    elif name == "p":
        if any(isinstance(c, Tag) and _is_block(c) for c in tag.children):
            yield from _blocks(tag)
        elif text := inline_text(tag):
            yield text
    elif name == "pre":
        code = tag.get_text("").strip("\n")
        if code.strip():
            yield f"```\n{code}\n```"
    elif name in {"ul", "ol"}:
        items = [li for li in tag.find_all("li", recursive=False)]
        lines = []
        for n, li in enumerate(items, 1):
            text = " ".join(b.replace("\n", " ") for b in _blocks(li) if b.strip())
            if text:
                lines.append(f"{n}. {text}" if name == "ol" else f"- {text}")
        if lines:
            yield "\n".join(lines)
    elif name == "dl":
        for child in tag.find_all(["dt", "dd"], recursive=False):
            text = " ".join(b.replace("\n", " ") for b in _blocks(child) if b.strip())
            if text:
                yield f"- {text}" if child.name == "dt" else text
    elif name == "table":
        if table := _table(tag):
            yield table
    else:
        yield from _blocks(tag)


def _table(tag: Tag) -> str:
    rows = []
    for tr in tag.find_all("tr"):
        cells = [inline_text(c).replace("|", "/") for c in tr.find_all(["td", "th"], recursive=False)]
        if any(cells):
            rows.append(cells)
    if not rows:
        return ""
    if all(sum(1 for c in r if c) <= 1 for r in rows):
        # a layout table (notes beside an icon, LibreOffice's icon cells): its text as paragraphs
        return "\n\n".join(c for r in rows for c in r if c)
    width = max(len(r) for r in rows)
    lines = ["| " + " | ".join(r + [""] * (width - len(r))) + " |" for r in rows]
    lines.insert(1, "|" + " --- |" * width)
    return "\n".join(lines)


def parse(path: Path) -> BeautifulSoup:
    """Parse a page with lxml's HTML parser (the Debian Reference is XHTML, read as HTML)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(path.read_bytes(), "lxml")


# --- LibreOffice help ----------------------------------------------------------

LIBREOFFICE_HELP = Path("usr/share/libreoffice/help/ja/text")
MODULES = {
    "shared": "共通",
    "swriter": "Writer",
    "scalc": "Calc",
    "simpress": "Impress",
    "sdraw": "Draw",
    "sbasic": "Basic",
    "smath": "Math",
    "schart": "グラフ",
    "sdatabase": "Base",
}
PARTS = {
    "00": "コマンドの呼び出し方",
    "01": "メニュー",
    "02": "ツールバー",
    "04": "ショートカットキー",
    "05": "ヘルプの使い方",
    "06": "スクリーンショット",
    "guide": "ガイド",
    "optionen": "オプション",
    "autopi": "ウィザード",
    "autokorr": "オートコレクト",
    "explorer": "データベース",
    "menu": "メニュー",
    "main0000": "ようこそ",
    "python": "Python",
}
#: parts whose name means something else in one application
MODULE_PARTS = {("sbasic", "shared"): "言語リファレンス"}
_KEYWORD_SPLIT = re.compile(r"[,、;；]")
_LO_DROP = [
    "header",
    "aside",
    "footer",
    "script",
    "noscript",
    "img",
    "meta",
    "div#SearchFrame",
    "div#DonationFrame",
    "div.relatedtopics",
    "div.noteicon",
    "p.bug",
    "span.MAC",
]


def libreoffice_pages(unpacked: Path) -> Iterator[Page]:
    """One page per HTML help page below the unpacked package."""
    base = unpacked / LIBREOFFICE_HELP
    for path in sorted(base.rglob("*.html")):
        rel = path.relative_to(base)
        page = libreoffice_page(path, rel)
        if page is not None:
            yield page


def libreoffice_page(path: Path, rel: Path) -> Page | None:
    """Convert one help page; ``None`` when it has no text of its own."""
    soup = parse(path)
    area = soup.find(id="DisplayArea")
    title_tag = soup.find("title")
    if area is None or title_tag is None:
        return None
    title = inline_text(title_tag)
    tags: dict[str, None] = {}
    for meta in area.find_all("meta", attrs={"itemprop": "keywords"}):
        for word in _KEYWORD_SPLIT.split(meta.get("content", "")):
            if word := word.strip():
                tags.setdefault(word, None)
    for selector in _LO_DROP:
        for tag in area.select(selector):
            tag.decompose()
    body = to_markdown(area)
    if not title or len(_SPACE.sub("", body)) < 20:
        return None
    parts = rel.parent.parts
    module = MODULES.get(parts[0], parts[0]) if parts else "共通"
    categories = [module]
    if len(parts) > 1:
        categories.append(MODULE_PARTS.get(parts[:2]) or PARTS.get(parts[1], parts[1]))
    name = "_".join([*parts, rel.stem]) + ".md"
    return Page(name, title, body, tuple(categories), tuple(tags))


# --- Debian Reference ------------------------------------------------------------

DEBIAN_REFERENCE = Path("usr/share/debian-reference")
_NUMBER = re.compile(r"^(?:第\s*\d+\s*章|付録\s*[A-Z]\.?|[A-Z0-9]+(?:\.\d+)*\.)\s*")
_CHAPTER_FILES = re.compile(r"^(pr\d+|ch\d+|ap[a-z])\.ja\.html$")


def debian_reference_pages(unpacked: Path) -> Iterator[Page]:
    """One page per top-level section of each chapter, plus each chapter's lead."""
    base = unpacked / DEBIAN_REFERENCE
    for path in sorted(p for p in base.glob("*.ja.html") if _CHAPTER_FILES.match(p.name)):
        yield from debian_reference_chapter(path)


def debian_reference_chapter(path: Path) -> Iterator[Page]:
    soup = parse(path)
    chapter = soup.find("div", class_=["chapter", "preface", "appendix"])
    if chapter is None:
        return
    for tag in chapter.select("div.toc, div.list-of-tables, div.navheader, div.navfooter, img"):
        tag.decompose()
    heading = chapter.find("h1")
    chapter_title = inline_text(heading) if heading else path.stem
    category = _NUMBER.sub("", chapter_title) or chapter_title
    stem = path.name.split(".")[0]
    if heading is not None:
        titlepage = heading.find_parent("div", class_="titlepage")
        (titlepage or heading).decompose()
    sections = chapter.find_all("div", class_="section", recursive=False)
    for section in sections:
        section.extract()
    lead = to_markdown(chapter)
    if len(_SPACE.sub("", lead)) >= 40:
        yield Page(f"{stem}-00.md", category, lead, (category,))
    for n, section in enumerate(sections, 1):
        h2 = section.find(["h2", "h3"])
        title = _NUMBER.sub("", inline_text(h2)) if h2 else f"{category} {n}"
        anchor = h2.find("a", id=True) if h2 else None
        slug = (anchor["id"].strip("_").replace("_", "-") if anchor else "")[:60]
        body = to_markdown(section)
        name = f"{stem}-{n:02d}" + (f"-{slug}" if slug else "") + ".md"
        yield Page(name, title, body, (category,))


# --- fetching and writing -----------------------------------------------------------


@dataclass(frozen=True)
class Source:
    package: str
    convert: Callable[[Path], Iterable[Page]]
    #: the query sets judged on this corpus: ``tests/relevance/<sets>*.jsonl``
    sets: str


SOURCES = {
    "libreoffice-help-ja": Source("libreoffice-help-ja", libreoffice_pages, "libreoffice"),
    "debian-reference-ja": Source("debian-reference-ja", debian_reference_pages, "debian-reference"),
}


def judged_posts(sets: str, folder: Path = SETS) -> frozenset[str]:
    """The posts that some query of the sets ``<sets>*.jsonl`` judges relevant."""
    names: set[str] = set()
    for path in sorted(folder.glob(f"{sets}*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                names.update(post for post, grade in json.loads(line)["relevant"].items() if grade > 0)
    return frozenset(names)


def sliced(pages: Iterable[Page], keep: frozenset[str]) -> Iterator[Page]:
    """The pages named in ``keep``; a name that no page has is an error
    (the query sets and the converter disagree)."""
    seen: set[str] = set()
    for page in pages:
        if page.name in keep:
            seen.add(page.name)
            yield page
    if lost := sorted(keep - seen):
        raise SystemExit(f"debian_corpus: judged posts not produced: {', '.join(lost[:5])}")


def download(packages: Iterable[str], folder: Path) -> None:
    """``apt-get download`` the packages into ``folder``."""
    subprocess.run(["apt-get", "download", *packages], cwd=folder, check=True, stdout=subprocess.DEVNULL)


def unpack(package: str, debs: Path, into: Path) -> str:
    """Unpack the package's .deb from ``debs`` into ``into``; its file name."""
    found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        raise SystemExit(f"debian_corpus: no {package}_*.deb in {debs}")
    subprocess.run(["dpkg-deb", "-x", str(found[-1]), str(into)], check=True)
    return found[-1].name


def write_corpus(pages: Iterable[Page], out: Path, origin: str) -> tuple[int, int]:
    """Write the posts into ``out`` (replaced if this script made it); count and bytes."""
    if out.exists():
        if not (out / MARKER).exists():
            raise SystemExit(
                f"debian_corpus: {out} exists and was not written by this script; not touching it"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text(origin + "\n", encoding="utf-8")
    count = size = 0
    names: set[str] = set()
    for page in pages:
        if page.name in names:
            raise SystemExit(f"debian_corpus: two posts named {page.name}")
        names.add(page.name)
        data = render_post(page).encode("utf-8")
        (out / page.name).write_bytes(data)
        count += 1
        size += len(data)
    return count, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Convert Debian's Japanese documentation into posts.")
    parser.add_argument(
        "corpora", nargs="*", metavar="CORPUS", help=f"any of {', '.join(SOURCES)} (default: all)"
    )
    parser.add_argument(
        "--out", type=Path, help=f"parent folder (default {DEFAULT_OUT}, with --slices {SLICES_OUT})"
    )
    parser.add_argument("--debs", type=Path, help="read the .deb files from here instead of apt-get download")
    parser.add_argument(
        "--slices",
        action="store_true",
        help="only the posts the query sets judge relevant, with the package's copyright file",
    )
    args = parser.parse_args(argv)
    out = args.out or (SLICES_OUT if args.slices else DEFAULT_OUT)
    names = args.corpora or list(SOURCES)
    if unknown := [n for n in names if n not in SOURCES]:
        parser.error(f"unknown corpus {unknown[0]!r}; choose from {', '.join(SOURCES)}")
    with tempfile.TemporaryDirectory(prefix="debian-corpus-") as tmp:
        work = Path(tmp)
        debs = args.debs
        if debs is None:
            debs = work / "debs"
            debs.mkdir()
            download([SOURCES[n].package for n in names], debs)
        for name in names:
            source = SOURCES[name]
            unpacked = work / name
            deb = unpack(source.package, debs, unpacked)
            pages = source.convert(unpacked)
            if args.slices:
                pages = sliced(pages, judged_posts(source.sets))
            count, size = write_corpus(pages, out / name, deb)
            if args.slices:
                licence = unpacked / "usr/share/doc" / source.package / "copyright"
                shutil.copy(licence, out / name / "copyright")
            print(f"{name}: {count} posts, {size / 1e6:.1f} MB → {out / name} (from {deb})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
