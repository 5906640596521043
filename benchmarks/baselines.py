"""Peer search engines for the benchmarks, plus the helpers the benchmarks share.

Every peer indexes the same :class:`~search.documents.Post` objects (title and
plain-text body) into a temporary directory and answers ``search(q, limit)``
with a ranked list of post ids:

``whoosh-bigram``
    Whoosh with a character-bigram analyzer (``NgramTokenizer(2, 2)`` and
    lower-casing) on title and body, queries parsed by Whoosh's
    ``MultifieldParser`` with ``OrGroup``: the usual "bigram hack".  A query
    word of one character yields no bigram and so finds nothing.

``fts5-trigram``
    SQLite FTS5 with ``tokenize='trigram'`` and ``bm25()`` ranking (title
    weighted 2).  The query is split on whitespace (a ``"quoted phrase"`` stays
    one term); each term is searched as a quoted FTS5 string and the terms are
    ORed.  Terms shorter than three characters cannot match trigrams, so they
    fall back to a ``LIKE '%term%'`` substring filter (ASCII case folding
    only); rows found that way are scored with FTS5's own BM25 formula from
    substring counts, and the scores of both kinds of term are added up.

``tantivy-sudachi``
    tantivy over Sudachi mode-C normalised forms, lower-cased, with
    whitespace and punctuation morphemes dropped; the tokens are joined by
    spaces and indexed with tantivy's ``whitespace`` tokenizer.  A query is
    analysed the same way and its distinct tokens are ORed over title (boost 2)
    and body.  Needs the ``bench`` extra (``pip install tantivy``).
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from search.documents import Post, iter_post_files, read_post
from search.errors import PostError

TITLE_BOOST = 2.0


class Peer(Protocol):
    """What the benchmarks need from a search engine."""

    name: str

    def build(self, posts: Sequence[Post]) -> None: ...

    def search(self, q: str, limit: int = 10) -> list[str]: ...

    def index_bytes(self) -> int: ...

    def close(self) -> None: ...


# --- shared helpers ----------------------------------------------------------


def machine() -> dict[str, object]:
    """CPU model, core count and Python version of this machine."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count() or 1, "python": platform.python_version()}


def post_files(root: Path, limit: int | None = None) -> list[Path]:
    """The post files below ``root`` in jsearch's order, the first ``limit``."""
    files = [path for path, _ in iter_post_files(root)]
    return files if limit is None else files[:limit]


def load_posts(root: Path, limit: int | None = None) -> list[Post]:
    """Parse the posts below ``root`` as jsearch would; unreadable ones are left out."""
    posts = []
    for path in post_files(root, limit):
        try:
            posts.append(read_post(path, root))
        except PostError:
            continue
    return posts


def make_corpus(
    source: Path, target: Path, *, limit: int | None = None, copies: int = 1, link: bool = True
) -> Path:
    """Lay out a corpus in ``target`` from the posts in ``source``.

    With ``copies`` > 1 each copy goes in its own subfolder (``copy-01`` …).
    Files are hard links when ``link`` is set and the file system allows it,
    copies otherwise; files that will be modified must be copies.
    """
    files = post_files(source, limit)
    for n in range(copies):
        base = target / f"copy-{n + 1:02d}" if copies > 1 else target
        for path in files:
            dest = base / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if link:
                try:
                    os.link(path, dest)
                    continue
                except OSError:
                    pass
            shutil.copy2(path, dest)
    return target


def tree_bytes(path: Path) -> int:
    """Total size of the regular files below ``path``."""
    total = 0
    for dirpath, _, names in os.walk(path):
        for name in names:
            try:
                total += os.stat(os.path.join(dirpath, name), follow_symlinks=False).st_size
            except OSError:
                continue
    return total


def split_terms(q: str) -> list[str]:
    """Whitespace-separated terms; a double-quoted run (ASCII or 「」) is one term."""
    terms: list[str] = []
    buf: list[str] = []
    closing = ""
    for ch in q:
        if closing:
            if ch == closing:
                terms.append("".join(buf))
                buf.clear()
                closing = ""
            else:
                buf.append(ch)
        elif ch in '"「':
            if buf:
                terms.append("".join(buf))
                buf.clear()
            closing = '"' if ch == '"' else "」"
        elif ch.isspace():
            if buf:
                terms.append("".join(buf))
                buf.clear()
        else:
            buf.append(ch)
    if buf:
        terms.append("".join(buf))
    return [t for t in (t.strip() for t in terms) if t]


class _TempIndex:
    """A peer's index directory, removed on :meth:`close`."""

    name = "peer"

    def __init__(self) -> None:
        self.dir: Path | None = None

    def _fresh_dir(self) -> Path:
        self.close()
        self.dir = Path(tempfile.mkdtemp(prefix=f"jsearch-bench-{self.name}-"))
        return self.dir

    def index_bytes(self) -> int:
        return tree_bytes(self.dir) if self.dir else 0

    def close(self) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- (a) Whoosh, character bigrams --------------------------------------------


class WhooshBigram(_TempIndex):
    name = "whoosh-bigram"

    def __init__(self, limitmb: int = 256) -> None:
        super().__init__()
        self.limitmb = limitmb
        self._searcher = None
        self._parser = None

    def build(self, posts: Sequence[Post]) -> None:
        from whoosh import index
        from whoosh.analysis import LowercaseFilter, NgramTokenizer
        from whoosh.fields import ID, TEXT, Schema
        from whoosh.qparser import MultifieldParser, OrGroup

        folder = self._fresh_dir()
        analyzer = NgramTokenizer(2, 2) | LowercaseFilter()
        schema = Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer), body=TEXT(analyzer))
        ix = index.create_in(str(folder), schema)
        writer = ix.writer(limitmb=self.limitmb)
        for post in posts:
            writer.add_document(id=post.id, title=post.title, body=post.body)
        writer.commit()
        self._searcher = ix.searcher()
        self._parser = MultifieldParser(["title", "body"], schema, {"title": TITLE_BOOST}, group=OrGroup)

    def search(self, q: str, limit: int = 10) -> list[str]:
        assert self._searcher is not None and self._parser is not None, "build() first"
        query = self._parser.parse(q)
        return [hit["id"] for hit in self._searcher.search(query, limit=limit)]

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        super().close()


# --- (b) SQLite FTS5, trigrams ---------------------------------------------


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_K1 = 1.2
_B = 0.75


class Fts5Trigram(_TempIndex):
    name = "fts5-trigram"

    def __init__(self) -> None:
        super().__init__()
        self._db: sqlite3.Connection | None = None
        self._rows = 0
        self._avgdl = 1.0

    def build(self, posts: Sequence[Post]) -> None:
        folder = self._fresh_dir()
        db = sqlite3.connect(folder / "fts.sqlite3", isolation_level=None)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, tokenize='trigram')")
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO docs(id, title, body) VALUES (?, ?, ?)", ((p.id, p.title, p.body) for p in posts)
        )
        db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        db.execute("COMMIT")
        self._db = db
        self._rows = len(posts)
        self._avgdl = sum(len(p.title) + len(p.body) for p in posts) / max(1, len(posts)) or 1.0

    def search(self, q: str, limit: int = 10) -> list[str]:
        assert self._db is not None, "build() first"
        terms = list(dict.fromkeys(split_terms(q)))
        long_terms = [t for t in terms if len(t) >= 3]
        short_terms = [t.translate(_ASCII_LOWER) for t in terms if len(t) < 3]
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
        bm25 = f"bm25(docs, 0.0, {TITLE_BOOST}, 1.0)"
        if not short_terms:
            if not match:
                return []
            rows = self._db.execute(
                f"SELECT id FROM docs WHERE docs MATCH ? ORDER BY {bm25} LIMIT ?", (match, limit)
            )
            return [r[0] for r in rows]
        scores: dict[str, float] = {}
        if match:
            for doc_id, score in self._db.execute(
                f"SELECT id, {bm25} FROM docs WHERE docs MATCH ?", (match,)
            ):
                scores[doc_id] = -score
        for doc_id, score in self._substring_scores(short_terms):
            scores[doc_id] = scores.get(doc_id, 0.0) + score
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [doc_id for doc_id, _ in ranked[:limit]]

    def _substring_scores(self, terms: Sequence[str]) -> Iterable[tuple[str, float]]:
        """BM25 as FTS5 computes it, from substring counts of short terms."""
        assert self._db is not None
        counts, where, params = [], [], {}
        for i, term in enumerate(terms):
            params[f"t{i}"] = term
            params[f"p{i}"] = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            for column in ("title", "body"):
                counts.append(
                    f"(length({column}) - length(replace(lower({column}), :t{i}, ''))) / {len(term)}"
                )
            where.append(f"title LIKE :p{i} ESCAPE '\\' OR body LIKE :p{i} ESCAPE '\\'")
        sql = (
            f"SELECT id, length(title) + length(body), {', '.join(counts)} FROM docs "
            f"WHERE {' OR '.join(where)}"
        )
        rows = self._db.execute(sql, params).fetchall()
        hits = [sum(1 for r in rows if r[2 + 2 * i] + r[3 + 2 * i] > 0) for i in range(len(terms))]
        idf = [max(math.log((0.5 + self._rows - n) / (0.5 + n)), 1e-6) for n in hits]
        for row in rows:
            norm = _K1 * (1 - _B + _B * row[1] / self._avgdl)
            score = 0.0
            for i in range(len(terms)):
                freq = TITLE_BOOST * row[2 + 2 * i] + row[3 + 2 * i]
                if freq:
                    score += idf[i] * freq * (_K1 + 1) / (freq + norm)
            yield row[0], score

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        super().close()


# --- (c) tantivy over Sudachi forms --------------------------------------------


_SKIPPED_POS = ("空白", "補助記号")


def sudachi_tokens(text: str) -> list[str]:
    """Lower-cased Sudachi mode-C normalised forms, without blanks and punctuation."""
    from search import sudachi

    out = []
    for m in sudachi.analyze(text, with_parts=False):
        if m.pos and m.pos[0] in _SKIPPED_POS:
            continue
        token = "_".join(m.normalized.lower().split())
        if token:
            out.append(token)
    return out


class TantivySudachi(_TempIndex):
    name = "tantivy-sudachi"

    def __init__(self, heap_bytes: int = 256_000_000) -> None:
        super().__init__()
        self.heap_bytes = heap_bytes
        self._index = None
        self._schema = None

    def build(self, posts: Sequence[Post]) -> None:
        import tantivy

        folder = self._fresh_dir()
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", tokenizer_name="whitespace")
        builder.add_text_field("body", tokenizer_name="whitespace")
        schema = builder.build()
        ix = tantivy.Index(schema, path=str(folder))
        writer = ix.writer(heap_size=self.heap_bytes)
        for post in posts:
            writer.add_document(
                tantivy.Document(
                    id=post.id,
                    title=" ".join(sudachi_tokens(post.title)),
                    body=" ".join(sudachi_tokens(post.body)),
                )
            )
        writer.commit()
        writer.wait_merging_threads()
        ix.reload()
        self._index = ix
        self._schema = schema

    def search(self, q: str, limit: int = 10) -> list[str]:
        import tantivy

        assert self._index is not None, "build() first"
        Query = tantivy.Query
        should = []
        for token in dict.fromkeys(sudachi_tokens(q)):
            title = Query.term_query(self._schema, "title", token)
            should.append((tantivy.Occur.Should, Query.boost_query(title, TITLE_BOOST)))
            should.append((tantivy.Occur.Should, Query.term_query(self._schema, "body", token)))
        if not should:
            return []
        searcher = self._index.searcher()
        result = searcher.search(Query.boolean_query(should), limit, count=False)
        return [searcher.doc(address)["id"][0] for _, address in result.hits]

    def close(self) -> None:
        self._index = None
        self._schema = None
        super().close()


PEERS: dict[str, type[WhooshBigram] | type[Fts5Trigram] | type[TantivySudachi]] = {
    WhooshBigram.name: WhooshBigram,
    Fts5Trigram.name: Fts5Trigram,
    TantivySudachi.name: TantivySudachi,
}


def write_json(path: Path, data: dict) -> None:
    """Write a benchmark's figures as indented JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
