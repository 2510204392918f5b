"""Text that came from outside (a caller's name, a spreadsheet cell, an AMI header)
made safe to keep: control characters and the bidirectional embeddings, overrides
and isolates removed (a caller chooses their caller ID: U+202E would turn 110 into
011 on a page, ESC would drive a terminal), and the length capped."""

from __future__ import annotations

import re

# C0 and C1 controls and DEL; the Arabic letter mark, LRM/RLM, the line and paragraph
# separators; the embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069).
BEYOND_C0 = r"\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
CONTROLS = re.compile(rf"[\x00-\x1f{BEYOND_C0}]")


def plain(text: str) -> str:
    """The text without its control characters: for phone numbers, where none belongs."""
    return CONTROLS.sub("", text)


def has_controls(text: str) -> bool:
    return CONTROLS.search(text) is not None


def clean(text: str, max_chars: int) -> str:
    """Controls removed (tabs and newlines become spaces), trimmed, at most max_chars."""
    spaced = text.replace("\t", " ").replace("\r\n", " ").replace("\n", " ")
    return CONTROLS.sub("", spaced).strip()[:max_chars]


def clean_lines(text: str, max_chars: int) -> str:
    """Typed text that may hold lines (a ticket's content): line breaks kept as `\\n`,
    tabs as spaces, every other control removed; trailing space trimmed, capped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").split("\n")
    return "\n".join(CONTROLS.sub("", line) for line in lines).rstrip()[:max_chars]
