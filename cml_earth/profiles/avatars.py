"""Avatars: the generated default (initials on a colour); uploaded pictures are stored apart."""

from __future__ import annotations

import hashlib
import re
from xml.sax.saxutils import escape

# Background colours that all carry white text at WCAG AA contrast (4.5:1 or more).
PALETTE = ("#2f6f62", "#8a4a24", "#5b4b8a", "#1f5f8b", "#8a2f4f", "#4f6a2a", "#7a4f00", "#3f5560")
SIZES = (64, 256)


def initials(username: str) -> str:
    """Up to two letters: the capitals of a camel-case handle, or the first letters of its words."""
    words = [w for w in re.split(r"[._\-\s]+", username) if w]
    capitals = re.findall(r"[A-ZÅÄÖÆØ]", username)
    if len(words) >= 2:
        letters = words[0][0] + words[1][0]
    elif len(capitals) >= 2:
        letters = capitals[0] + capitals[1]
    else:
        letters = username[:2]
    return letters.upper()


def colour_for(username_key: str) -> str:
    digest = hashlib.sha256(username_key.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def initials_svg(username: str, username_key: str, size: int) -> str:
    """An SVG of the member's initials; the text is escaped, it never carries markup."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 100 100" role="img">'
        f'<rect width="100" height="100" fill="{colour_for(username_key)}"/>'
        f'<text x="50" y="50" dy=".35em" text-anchor="middle" fill="#ffffff" '
        f'font-family="system-ui, sans-serif" font-size="42" font-weight="700">'
        f"{escape(initials(username))}</text></svg>"
    )
