"""Members' Markdown: what it renders, and that no payload ever comes out executable."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from markupsafe import Markup

from cml_earth.extensions import db
from cml_earth.profiles.models import Profile
from cml_earth.text import ALLOWED_TAGS, render_markdown

REL = 'rel="nofollow noopener noreferrer ugc"'

# Each is a story a member might send; none may come out as anything a browser would run.
PAYLOADS = [
    # script tags, plain and disguised
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<script\x0c>alert(1)</script>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "# <script>alert(1)</script>",
    "**<script>alert(1)</script>**",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    "> <script>alert(1)</script>",
    "- <script>alert(1)</script>",
    # images, svg, iframes, style and other active elements
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)"/>',
    "<IMG SRC=javascript:alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="x:expression(alert(1))">x</p>',
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><input type=submit></form>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    '<a href="javascript:alert(1)">x</a>',
    # javascript:, vbscript: and data: links in Markdown
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](<javascript:alert(1)>)",
    "[x](javascript&#58;alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](<java\tscript:alert(1)>)",
    "[x](java\x00script:alert(1))",
    "[x](\x01javascript:alert(1))",
    "[x](java\u200bscript:alert(1))",
    "[x](ｊavascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](file:///etc/passwd)",
    "[x][evil]\n\n[evil]: javascript:alert(1)",
    '[x](https://example.org "a\\" onmouseover=\\"alert(1)")',
    '[x](https://example.org"onmouseover="alert(1))',
    "![x](javascript:alert(1))",
    "![x](https://evil.example/track.png)",
    '![x](https://evil.example/x.png "onerror=alert(1)")',
    # autolinks
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,alert(1)>",
    '<https://example.org/"onmouseover="alert(1)>',
    "<https://example.org/'onmouseover='alert(1)>",
    "javascript:alert(1) and www.example.org and https://example.org",
    # nesting Markdown in HTML and HTML in Markdown
    "[<img src=x onerror=alert(1)>](https://example.org)",
    '<a href="https://example.org">[x](javascript:alert(1))</a>',
    "[[x](javascript:alert(1))](https://example.org)",
    "**[x](javascript:alert(1))**",
    "*<svg/onload=alert(1)>*",
    # entities and escapes
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&#x3C;img src=x onerror=alert(1)&#x3E;",
    "\\<script>alert(1)\\</script>",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "\\x3cscript\\x3ealert(1)\\x3c/script\\x3e",
    "＜script＞alert(1)＜/script＞",
    "<scri\x00pt>alert(1)</scri\x00pt>",
    '<a href="&#14;javascript:alert(1)">x</a>',
]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def tags_of(html: str):
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def scheme_of(url: str) -> str:
    """The scheme a browser would see: it ignores control characters and spaces, any case."""
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", unescape(url))
    return urlsplit(cleaned).scheme.lower()


def assert_inert(html: str) -> None:
    """Nothing in ``html`` a browser would run, load or style."""
    lowered = html.lower()
    # Attribute values are data, not markup: look at the tags with their values emptied.
    bare = re.sub(r'"[^"]*"', '""', html)
    for tag in ("<script", "<iframe", "<svg", "<img", "<style", "<object", "<embed", "<math"):
        assert tag not in lowered, tag
    assert not re.search(r"<[^>]*\son\w+\s*=", bare, re.I), "event handler attribute"
    assert not re.search(r"<[^>]*\sstyle\s*=", bare, re.I), "style attribute"
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert not name.startswith("on"), name
            assert name in {"href", "title", "rel", "start"}, name
            if name == "href":
                assert scheme_of(value or "") in {"", "http", "https", "mailto"}, value
                assert not re.match(r"\s*(javascript|vbscript|data):", unescape(value), re.I)


def test_there_are_enough_payloads():
    assert len(PAYLOADS) >= 40
    assert len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_renders_inert(payload):
    html = render_markdown(payload)
    assert isinstance(html, Markup)
    assert_inert(str(html))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_rendered_twice_stays_inert(payload):
    """Rendered output fed back in (an edit form round-trip) is still harmless."""
    assert_inert(str(render_markdown(str(render_markdown(payload)))))


def test_member_html_is_shown_as_text():
    html = str(render_markdown("<b>hi</b> & <script>alert(1)</script>"))
    assert html == "<p>&lt;b&gt;hi&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**bold** and *italics*", "<p><strong>bold</strong> and <em>italics</em></p>"),
        ("- imatinib\n- dasatinib", "<ul>\n<li>imatinib</li>\n<li>dasatinib</li>\n</ul>"),
        ("3. third\n4. fourth", '<ol start="3">\n<li>third</li>\n<li>fourth</li>\n</ol>'),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        ("`code`", "<p><code>code</code></p>"),
        ("# Title\n## Sub", "<h3>Title</h3>\n<h4>Sub</h4>"),
        ("line one  \nline two", "<p>line one<br>\nline two</p>"),
        ("---", "<hr>"),
        (
            "[CML guide](https://example.org/cml)",
            f'<p><a href="https://example.org/cml" {REL}>CML guide</a></p>',
        ),
        (
            '[guide](https://example.org "The guide")',
            f'<p><a href="https://example.org" title="The guide" {REL}>guide</a></p>',
        ),
        (
            "<https://example.org>",
            f'<p><a href="https://example.org" {REL}>https://example.org</a></p>',
        ),
        (
            "[mail](mailto:help@example.org)",
            f'<p><a href="mailto:help@example.org" {REL}>mail</a></p>',
        ),
        (
            "[my diary](http://example.org/d)",
            f'<p><a href="http://example.org/d" {REL}>my diary</a></p>',
        ),
    ],
)
def test_normal_markdown_renders(source, expected):
    assert str(render_markdown(source)).strip() == expected


def test_links_members_add_get_our_rel_not_theirs():
    html = str(
        render_markdown('<a href="https://example.org" rel="opener">x</a> [y](https://e.org)')
    )
    links = [dict(attrs) for tag, attrs in tags_of(html) if tag == "a"]
    # Only the Markdown link is a link (the HTML one is text), and it carries our rel.
    assert links == [{"href": "https://e.org", "rel": "nofollow noopener noreferrer ugc"}]


def test_images_are_not_loaded_from_elsewhere():
    html = str(render_markdown("![scan](https://example.org/scan.png)"))
    assert "<img" not in html
    assert "scan" in html


@pytest.mark.parametrize("empty", [None, ""])
def test_no_story_renders_nothing(empty):
    assert render_markdown(empty) == Markup("")


def test_profile_page_renders_every_payload_inert(app, client, make_member):
    """The story on the profile page goes through the same filter, and nothing else shows raw."""
    owner = make_member("StoryTeller")
    with app.app_context():
        profile = db.session.get(Profile, owner.id)
        profile.profile_visibility = profile.story_visibility = "public"
        db.session.commit()
    # NUL never reaches the database: the form refuses it (test_profiles) and PostgreSQL too.
    for payload in (p for p in PAYLOADS if "\x00" not in p):
        with app.app_context():
            db.session.get(Profile, owner.id).story = f"Before\n\n{payload}\n\nafter"
            db.session.commit()
        response = client.get("/members/StoryTeller")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        match = re.search(r'<div class="prose member-text">(.*?)</div>\s*</section>', html, re.S)
        assert match, payload
        story = match.group(1)
        assert "Before" in story and "after" in story, payload
        try:
            assert_inert(story)
        except AssertionError as error:
            raise AssertionError(f"{payload!r}: {error}") from None
        # The rest of the page carries only our own script, from static/.
        scripts = re.findall(r"<script[^>]*>", html, re.I)
        assert all('src="/static/' in tag for tag in scripts), (payload, scripts)
        assert "alert(1)" not in html.replace(story, ""), payload


def test_cached_html_is_the_same_sanitised_html_and_long_texts_bypass_the_cache():
    """The per-process cache keys on the text itself: never stale, never unsanitised."""
    from cml_earth import text

    text._cached_html.cache_clear()
    payload = "Hello <script>alert(1)</script> [x](javascript:alert(1)) **bold**"
    first, second = render_markdown(payload), render_markdown(payload)
    assert str(first) == str(second) == text._html(payload)
    html = str(first)
    assert "<script" not in html and 'href="javascript' not in html
    assert "<strong>bold</strong>" in html
    assert text._cached_html.cache_info().hits == 1
    edited = render_markdown(payload + " more")
    assert edited != first and "more" in edited
    long_text = "word " * (text.CACHED_UP_TO // 5 + 1)
    assert len(long_text) > text.CACHED_UP_TO
    render_markdown(long_text)
    assert text._cached_html.cache_info().currsize == 2  # the payload and its edit only
