"""Members' text: Markdown rendered, then sanitised, so no member HTML or script ever runs."""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# CommonMark with raw HTML switched off: members' tags are shown as text, never parsed.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.disable("image")  # no images from elsewhere: a health community does not leak readers

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "hr",
    "h3",
    "h4",
    "h5",
    "h6",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
LINK_SCHEMES = {"http", "https", "mailto"}


def render_markdown(source: str | None) -> Markup:
    """Safe HTML for ``source``: Markdown, then an allow-list sanitiser (nh3)."""
    if not source:
        return Markup("")
    if len(source) <= CACHED_UP_TO:
        return Markup(_cached_html(source))  # noqa: S704  (sanitised by nh3 in _html)  # nosec B704
    return Markup(_html(source))  # noqa: S704  (sanitised by nh3 in _html)  # nosec B704


#: Texts up to this long keep their HTML in a per-process cache (words of support, short stories).
CACHED_UP_TO = 4_000


def _html(source: str) -> str:
    html = _markdown.render(source)
    # Headings shrink by two levels so a member's "# Title" never competes with the page's h1.
    for level in (2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(
            f"</h{level}>", f"</h{level + 2}>"
        )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=LINK_SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
        strip_comments=True,
    )


# Keyed by the text itself, so it can never serve stale HTML: an edited text is another key.
# Depends only on code and the text; at most 2,048 entries of at most 4,000 characters (a few
# MB per worker). Rendering and sanitising were a fifth of a story page with 50 words of support.
_cached_html = functools.lru_cache(maxsize=2_048)(_html)
