"""Query-time synonym expansion from the Sudachi synonym dictionary.

The dictionary (``resources/synonyms.txt``, Apache-2.0) groups words by a
six-digit number; Sudachi morphemes carry the numbers of their groups.  A
word expands to the other words of its groups, honouring the dictionary's
expansion-control flag: 0 expands both ways, 1 is only a target (never
triggers an expansion), 2 is never used.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Entry:
    group: int
    flag: int
    headword: str


class Synonyms:
    """The synonym groups, loaded once per instance on first use."""

    def __init__(self, text: str | None = None) -> None:
        self._text = text
        self._groups: dict[int, tuple[Entry, ...]] | None = None

    def _load(self) -> dict[int, tuple[Entry, ...]]:
        if self._groups is None:
            text = self._text
            if text is None:
                text = resources.files("search").joinpath("resources/synonyms.txt").read_text("utf-8")
            groups: dict[int, list[Entry]] = {}
            for row in csv.reader(text.splitlines()):
                if len(row) < 9 or not row[0].strip().isdigit():
                    continue
                flag = int(row[2]) if row[2].strip().isdigit() else 0
                entry = Entry(int(row[0]), flag, row[8].strip())
                groups.setdefault(entry.group, []).append(entry)
            self._groups = {k: tuple(v) for k, v in groups.items()}
        return self._groups

    def expand(self, group_ids: tuple[int, ...], words: set[str]) -> list[str]:
        """Headwords that ``words`` (surface or normalised forms of one
        query word) expand to through ``group_ids``, excluding the words."""
        groups = self._load()
        out: list[str] = []
        lowered = {w.lower() for w in words}
        for gid in group_ids:
            entries = groups.get(gid, ())
            own = [e for e in entries if e.headword.lower() in lowered]
            if not own or all(e.flag != 0 for e in own):
                continue
            for e in entries:
                if e.flag != 2 and e.headword.lower() not in lowered and e.headword not in out:
                    out.append(e.headword)
        return out
