"""The JSON text jsearch prints and serves.

``jsearch query --json``, ``jsearch similar --json`` and the HTTP API's
``/api/search`` and ``/api/similar`` all call :func:`result_json`, so the
terminal and the server can never disagree about the document.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import SearchResult


def dumps(value: object) -> str:
    """One line of JSON, with Japanese text kept as it is."""
    return json.dumps(value, ensure_ascii=False)


def result_json(result: SearchResult) -> str:
    """The document for one page of hits (see the README's JSON contract)."""
    return dumps(result.to_json())
