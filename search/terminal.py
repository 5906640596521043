"""Text from posts and file names made safe to print on a terminal.

A title, tag, passage or file name may hold control characters: ESC and
the C1 controls start escape sequences that retitle a terminal, move the
cursor or hide text.  Everything the CLI prints for people passes through
:func:`clean`, which shows each such character escaped (``\\x1b``); JSON
output needs no cleaning, as JSON escapes them itself.
"""

from __future__ import annotations

import re

# C0 controls except tab, DEL, and the C1 controls
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` with every control character but tab shown as ``\\xNN``."""
    if text.isprintable():
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
