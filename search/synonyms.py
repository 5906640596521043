"""Query-time synonym expansion from the Sudachi synonym dictionary.

The dictionary (``resources/synonyms.txt``, Apache-2.0) groups words by a
six-digit number; Sudachi morphemes carry the numbers of their groups.  A
word expands to the other words of its groups, honouring the dictionary's
expansion-control flag: 0 triggers expansions, 1 is only a target (never
triggers one), 2 is never used.

The flag says which words may trigger, whichever side of the search they
stand on.  A target-only verb or adjective in a query (作る) is therefore
searched with the triggers of its groups (作成), since each of those would
have expanded to it had it stood in the post: the match is the one an
index-time expansion of the post's 作成 would give.  Target-only nouns are
left alone; they are the ambiguous ones (a bare 監視, 今).

A site's own words are another matter: the dictionary cannot know that
a team writes VCS for バージョン管理.  A synonyms file (:func:`read_groups`)
lists such groups, one per line; a query word (or compound) that is one
of a group's words, after analysis, is searched with the others too.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import ArgumentError

#: Largest synonyms file read: a list of groups, not a dictionary.
MAX_FILE_BYTES = 1 << 20
#: Most words one group may hold: each is searched beside the word typed,
#: and a query may have at most ``query.MAX_UNITS`` terms in all.
MAX_GROUP_WORDS = 16
#: What separates the words of a group on a line.
SEPARATORS = (",", "、", "，")


@dataclass(frozen=True)
class Entry:
    group: int
    flag: int
    headword: str
    predicate: bool = False  # 用言 (a verb or adjective), not 体言


class Synonyms:
    """The synonym groups.  The file is read once per instance on first use
    and only the groups a query needs are parsed: the file is ordered by
    group number, so a group's lines are found by a string search."""

    def __init__(self, text: str | None = None, own: tuple[tuple[str, ...], ...] = ()) -> None:
        self._text = text
        self._groups: dict[int, tuple[Entry, ...]] = {}
        #: Groups of a site's own words (see :func:`read_groups`).
        self.own = own
        self._by_seq: dict | None = None

    def _source(self) -> str:
        if self._text is None:
            raw = resources.files("search").joinpath("resources/synonyms.txt").read_text("utf-8")
            self._text = "\n" + raw
        return self._text

    def group(self, gid: int) -> tuple[Entry, ...]:
        """The entries of one group (empty if there is none)."""
        if gid not in self._groups:
            text = self._source()
            key = f"\n{gid:06d},"
            start = text.find(key)
            entries: list[Entry] = []
            while start != -1:
                end = text.find("\n", start + 1)
                line = text[start + 1 : end if end != -1 else len(text)]
                entries.extend(_parse(line))
                start = end if end != -1 and text.startswith(key, end) else -1
            self._groups[gid] = tuple(entries)
        return self._groups[gid]

    def expand(self, group_ids: tuple[int, ...], words: set[str]) -> list[str]:
        """Headwords that ``words`` (surface or normalised forms of one
        query word) expand to through ``group_ids``, excluding the words."""
        out: list[str] = []
        lowered = {w.lower() for w in words}
        for gid in group_ids:
            entries = self.group(gid)
            own = [e for e in entries if e.headword.lower() in lowered]
            if not own or all(e.flag == 2 for e in own):
                continue
            # a trigger (flag 0) expands to every word of its group; a
            # target-only word (flag 1) reaches the triggers that expand to it
            trigger = any(e.flag == 0 for e in own)
            if not trigger and not any(e.predicate for e in own):
                continue
            for e in entries:
                usable = e.flag != 2 if trigger else e.flag == 0
                if usable and e.headword.lower() not in lowered and e.headword not in out:
                    out.append(e.headword)
        return out

    def own_synonyms(
        self, seq: tuple[str, ...], analyse: Callable[[str], tuple[str, ...]]
    ) -> list[tuple[str, ...]]:
        """Term sequences of the own groups' other words, for a query word
        whose terms are ``seq``; ``analyse`` turns a word into its terms
        (as the query's words are analysed, so ＶＣＳ finds vcs)."""
        if self._by_seq is None:
            self._by_seq = self._index(analyse)
        out: list[tuple[str, ...]] = []
        for group in self._by_seq.get(seq, ()):
            out.extend(other for other in group if other != seq and other not in out)
        return out

    def _index(self, analyse: Callable[[str], tuple[str, ...]]) -> dict:
        """Each own group's words as term sequences, by each of them: built
        on first use (analysing every word once), so a query looks its
        words up instead of analysing the file again."""
        index: dict[tuple[str, ...], list[tuple[tuple[str, ...], ...]]] = {}
        for group in self.own:
            seqs = tuple(dict.fromkeys(seq for word in group if (seq := analyse(word))))
            for seq in seqs:
                index.setdefault(seq, []).append(seqs)
        return index


def read_groups(path: str | os.PathLike) -> tuple[tuple[str, ...], ...]:
    """The synonym groups of a synonyms file: UTF-8 text, one group per
    line, its words separated by commas (``バージョン管理, VCS``); blank
    lines and lines that start with ``#`` are skipped.  A file that cannot
    be used raises :class:`~search.errors.ArgumentError` naming the line."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ArgumentError(f"synonyms file {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ArgumentError(f"synonyms file {path}: larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArgumentError(f"synonyms file {path}: not UTF-8 text (byte {exc.start})") from None
    groups: list[tuple[str, ...]] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "\0" in line:
            raise ArgumentError(f"synonyms file {path}, line {number}: not text")
        for sep in SEPARATORS[1:]:
            line = line.replace(sep, SEPARATORS[0])
        words = tuple(dict.fromkeys(w.strip() for w in line.split(SEPARATORS[0]) if w.strip()))
        if len(words) < 2:
            raise ArgumentError(f"synonyms file {path}, line {number}: a group needs two words or more")
        if len(words) > MAX_GROUP_WORDS:
            raise ArgumentError(
                f"synonyms file {path}, line {number}: more than {MAX_GROUP_WORDS} words in one group"
            )
        groups.append(words)
    return tuple(groups)


def _parse(line: str) -> list[Entry]:
    for row in csv.reader([line]):
        if len(row) >= 9 and row[0].strip().isdigit():
            flag = int(row[2]) if row[2].strip().isdigit() else 0
            return [Entry(int(row[0]), flag, row[8].strip(), row[1].strip() == "2")]
    return []
