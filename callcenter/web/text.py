"""Caller-supplied text made safe to show.  A caller chooses their own caller ID, so a
"number" may carry control characters: terminal escapes (ESC ...), or the bidi
overrides and isolates that make a page or a terminal show the text after them, or
the whole line, in another order (U+202E turns 110 into 011 and drags the header's
labels along)."""

from __future__ import annotations

import re

# C0 and C1 controls and DEL; the Arabic letter mark, LRM/RLM, the line and paragraph
# separators; the embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069).
BEYOND_C0 = r"\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
CONTROLS = re.compile(rf"[\x00-\x1f{BEYOND_C0}]")


def plain(text: str) -> str:
    """The text without its control characters: for phone numbers, where none belongs."""
    return CONTROLS.sub("", text)
