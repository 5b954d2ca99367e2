"""An XSS corpus for every field a member (or anyone) can fill, and a checker for rendered pages.

Importable without side effects: the HTTP tests (tests/test_attack_corpus.py) and a real-browser
test use the same payloads and the same checker.

Each payload, if a browser ever ran it, announces itself with a marker ``XSS-<n>`` (``n`` is
its index in ``PAYLOADS``) through ``alert``/``confirm``/``prompt`` (a dialog), ``console.log``
or ``document.title``. The marker never appears literally in a payload's source: the script
builds it (``'XSS-'+7``), so a page that merely shows the payload as text, or a console line
quoting the source, is not mistaken for an execution. ``executed_markers`` finds markers in a
dialog message, a console line or a title; ``find_unsafe_markup`` finds the markup that could
run in a page's HTML, and also a marker in the HTML itself, which only server-side template
evaluation (``{{ 'XSS-' ~ 61 }}``) can put there.
"""

from __future__ import annotations

import base64
import html
import re
from html.parser import HTMLParser

__all__ = [
    "MARKER_RE",
    "PAYLOADS",
    "executed_markers",
    "find_unsafe_markup",
    "marker",
]

#: What an executed payload produces: ``XSS-`` and the payload's index.
MARKER_RE = re.compile(r"XSS-(\d+)")

# How each payload announces itself, in turn (dialogs, the console, the title).
_CALLS = (
    "alert({m})",
    "confirm({m})",
    "prompt({m})",
    "console.log({m})",
    "document.title={m}",
)

# {js}: the announcing code, with single quotes. {jsnq}: the same without any quote, for
# places where a quote would end the attribute or the URL. {b64}: a script running {js}, in
# base64 for data: URLs. {n}: the payload's index.
_TEMPLATES: tuple[str, ...] = (
    # --- classic script tags ------------------------------------------------------------------
    "<script>{js}</script>",
    "<SCRIPT>{js}</SCRIPT>",
    "<script type=module>{js}</script>",
    "<scr<script>ipt>{js}</scr</script>ipt>",
    "<<script>script>{js}<</script>/script>",
    "<script\x0c>{js}</script>",
    "<script/x>{js}</script>",
    "<!--<script>{js}</script>-->",
    "<![CDATA[<script>{js}</script>]]>",
    "</title></textarea></style></noscript><script>{js}</script>",
    # --- event handlers -----------------------------------------------------------------------
    "<img src=x onerror={jsnq}>",
    '<img src="x" onerror="{js}"/>',
    "<IMG SRC=x OnErRoR={jsnq}>",
    "<img src=x onerror\x0b={jsnq}>",
    "<body onload={jsnq}>",
    "<details open ontoggle={jsnq}>",
    "<input autofocus onfocus={jsnq}>",
    "<video><source onerror={jsnq}></video>",
    "<marquee onstart={jsnq}>x</marquee>",
    '<a href="https://example.org" onclick="{js}">x</a>',
    # --- svg and math -------------------------------------------------------------------------
    "<svg onload={jsnq}>",
    "<svg/onload={jsnq}>",
    "<svg><script>{js}</script></svg>",
    "<svg><animate onbegin={jsnq} attributeName=x dur=1s>",
    '<svg><a xlink:href="javascript:{js}"><text x="20" y="20">x</text></a></svg>',
    "<svg><set attributeName=href to=javascript:{jsnq} /><a><text>x</text></a></svg>",
    # --- javascript:, vbscript:, data: URLs, plain and obfuscated ------------------------------
    '<a href="javascript:{js}">x</a>',
    '<a href="JaVaScRiPt:{js}">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;{js}">x</a>',
    '<a href="&#x6A;&#x61;vascript&colon;{js}">x</a>',
    '<a href="java\tscript:{js}">x</a>',
    '<a href="java&#x09;script:{js}">x</a>',
    '<a href=" &#14; javascript:{js}">x</a>',
    '<a href="vbscript:msgbox(&quot;XSS-&quot;&amp;{n})">x</a>',
    '<a href="data:text/html;base64,{b64}">x</a>',
    '<a href="data:text/html,<script>{js}</script>">x</a>',
    '<form action="javascript:{js}"><button>x</button></form>',
    '<button formaction="javascript:{js}">x</button>',
    # --- Markdown links and images ------------------------------------------------------------
    "[x](javascript:{jsnq})",
    "[x](JaVaScRiPt:{jsnq})",
    "[x](<java\tscript:{jsnq}>)",
    "[x](&#x6A;avascript&#58;{jsnq})",
    "[x](javascript&colon;{jsnq})",
    "[x](vbscript:msgbox({n}))",
    "[x](data:text/html;base64,{b64})",
    "[x][evil]\n\n[evil]: javascript:{jsnq}",
    '[x](https://example.org "a\\" onmouseover=\\"{js}")',
    '![x](x" onerror="{js})',
    "![x](javascript:{jsnq})",
    '![x"onerror="{js}](https://example.org/x.png)',
    "<javascript:{jsnq}>",
    # --- attribute breakouts ------------------------------------------------------------------
    '"><img src=x onerror={jsnq}>',
    "'><img src=x onerror={jsnq}>",
    '" autofocus onfocus="{js}" x="',
    "' autofocus onfocus='{jsnq}' x='",
    "</a><img src=x onerror={jsnq}>",
    '"></textarea><img src=x onerror={jsnq}>',
    # --- template injection (server side): the marker appears only if a template evaluates it --
    "{{{{ 'XSS-' ~ {n} }}}}",
    "{{% print('XSS-' ~ {n}) %}}",
    "${{'XSS-'+{n}}} #{{'XSS-'+{n}}}",
    "{{{{ config.__class__.__init__.__globals__ }}}}{{{{7*7}}}}",
    # --- mutation XSS: namespace confusion and raw-text elements ------------------------------
    '<noscript><p title="</noscript><img src=x onerror={jsnq}>">',
    "<math><mtext><table><mglyph><style><img src=x onerror={jsnq}>",
    '<svg></p><style><a id="</style><img src=1 onerror={jsnq}>">',
    '<title><img title="</title><img src=x onerror={jsnq}>">',
    '<textarea><img title="</textarea><img src=x onerror={jsnq}>">',
    '<style><img title="</style><img src=x onerror={jsnq}>">',
    "<math><mi xlink:href=javascript:{jsnq}>x</mi></math>",
    '<xmp><p title="</xmp><img src=x onerror={jsnq}>">',
    '<noembed><img title="</noembed><img src=x onerror={jsnq}>"></noembed>',
    '<form><math><mtext></form><form><mglyph><svg><mtext><style><path id="</style>'
    '<img onerror={jsnq} src>">',
    # --- frames, objects, meta refresh, base ----------------------------------------------------
    "<iframe src=javascript:{jsnq}></iframe>",
    '<iframe srcdoc="&lt;script&gt;{js}&lt;/script&gt;"></iframe>',
    "<object data=javascript:{jsnq}></object>",
    "<embed src=javascript:{jsnq}>",
    '<meta http-equiv="refresh" content="0;url=javascript:{js}">',
    '<base href="javascript:{js}//">',
    '<link rel=import href="data:text/html,<script>{js}</script>">',
    # --- CSS ----------------------------------------------------------------------------------
    "<style>body{{background:url(javascript:{jsnq})}}</style>",
    '<div style="background:url(javascript:{js})">x</div>',
    '<p style="x:expression({js})">x</p>',
    '<p style="x:exp/**/ression({js})">x</p>',
    '<div style="-moz-binding:url(x.xml#xss)">x {n}</div>',
    # --- unicode, NUL and encodings -----------------------------------------------------------
    "<scr\x00ipt>{js}</scr\x00ipt>",
    "<img src=x onerror\x00={jsnq}>",
    "\uff1cscript\uff1e{js}\uff1c/script\uff1e",
    "<img src=x one\u200brror={jsnq}>",
    "%3Cscript%3E{js}%3C/script%3E",
    "&lt;script&gt;{js}&lt;/script&gt;",
    "+ADw-script+AD4-{js}+ADw-/script+AD4-",
    # --- polyglots ----------------------------------------------------------------------------
    "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk={jsnq} )//%0D%0A%0d%0a//</stYle/</titLe/"
    "</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd={jsnq}//>\\x3e",
    "'\"--></style></script><script>{js}</script>",
    "\"'><svg/onload={jsnq}>{{{{ 'XSS-' ~ {n} }}}}",
)


def marker(number: int) -> str:
    """The text payload ``number`` produces when it runs."""
    return f"XSS-{number}"


def _announce(number: int, quotes: bool) -> str:
    built = f"'XSS-'+{number}" if quotes else f"/XSS-/.source+{number}"
    return _CALLS[number % len(_CALLS)].format(m=built)


def _payload(number: int, template: str) -> str:
    js = _announce(number, quotes=True)
    script = base64.b64encode(f"<script>{js}</script>".encode()).decode()
    return template.format(js=js, jsnq=_announce(number, quotes=False), b64=script, n=number)


#: The corpus: every template filled in with its own index.
PAYLOADS: list[str] = [_payload(number, template) for number, template in enumerate(_TEMPLATES)]


def executed_markers(text: str) -> set[int]:
    """Indexes of the payloads whose marker is in ``text`` (a dialog, console line or title)."""
    return {int(found) for found in MARKER_RE.findall(text or "")}


# --- the checker ------------------------------------------------------------------------------

#: Elements no page of the site has, and that no member may bring in.
FORBIDDEN_ELEMENTS = frozenset(
    {
        "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal",
        "style", "noscript", "noembed", "noframes", "xmp", "plaintext", "svg", "math",
        "template", "listing", "isindex", "import",
    }
)  # fmt: skip

#: Attributes whose value a browser follows or loads as a URL.
URL_ATTRIBUTES = frozenset(
    {
        "href", "src", "action", "formaction", "data", "xlink:href", "poster", "background",
        "lowsrc", "dynsrc", "codebase", "cite", "ping", "manifest", "longdesc", "usemap",
        "srcset", "to", "from", "values", "by", "icon", "archive", "classid", "profile",
    }
)  # fmt: skip

_DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "livescript:", "mocha:", "data:")
# Pictures only, and only where a picture is shown: a data: image cannot run script there.
_PICTURE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)[;,]")
_PICTURE_PLACES = frozenset({("img", "src"), ("img", "srcset"), ("source", "srcset")})
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\ufeff]")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?")
_DANGEROUS_CSS = ("expression(", "javascript:", "vbscript:", "-moz-binding", "behavior:", "@import")


def _normalise_url(value: str) -> str:
    # Browsers drop tabs and newlines anywhere in a URL and C0 controls and spaces around it;
    # dropping every invisible character errs on the safe side.
    return _INVISIBLE.sub("", html.unescape(value)).lower()


def _url_problem(tag: str, name: str, value: str) -> str | None:
    url = _normalise_url(value)
    picture = (tag, name) in _PICTURE_PLACES and _PICTURE_DATA.match(url)
    if picture:
        return None
    # srcset and SVG's values hold lists; any entry may be the one used.
    for entry in re.split(r"[,;]", url) if name in ("srcset", "values") else [url]:
        if entry.startswith(_DANGEROUS_SCHEMES):
            return entry[:60]
    return None


def _css_problem(value: str) -> str | None:
    css = _CSS_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), html.unescape(value))
    css = _INVISIBLE.sub("", _CSS_COMMENT.sub("", css)).lower().replace("\\", "")
    return next((found for found in _DANGEROUS_CSS if found in css), None)


class _Markup(HTMLParser):
    """Start tags, attributes and text of a page, read one of three ways (see ``_parse``)."""

    def __init__(self, raw_text_elements: tuple[str, ...]):
        super().__init__(convert_charrefs=True)
        self.CDATA_CONTENT_ELEMENTS = raw_text_elements
        self.problems: list[str] = []
        self._open_script: str | None = None

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        self._open_script = tag if tag == "script" else None

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        self._open_script = None

    def handle_data(self, data):
        if self._open_script and data.strip():
            self.problems.append(f"inline script: {data.strip()[:60]!r}")
        self._check_marker(data, "text")

    def _check_marker(self, text: str, where: str) -> None:
        for found in MARKER_RE.findall(text):
            self.problems.append(f"marker XSS-{found} evaluated on the server ({where})")

    def _check(self, tag: str, attrs) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"<{tag}> element")
        if tag == "script" and not values.get("src", "").startswith("/static/"):
            self.problems.append(f"<script> not from /static/: {values.get('src')!r}")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append(f"<meta http-equiv={values['http-equiv']!r}>")
        if tag == "link" and not values.get("href", "/").startswith("/"):
            self.problems.append(f"<link> to {values.get('href')!r}")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            elif name == "srcdoc":
                self.problems.append(f"<{tag} srcdoc>")
            elif name in URL_ATTRIBUTES and (url := _url_problem(tag, name, value)):
                self.problems.append(f"<{tag} {name}={url!r}>")
            elif name == "style" and (css := _css_problem(value)):
                self.problems.append(f"<{tag} style> with {css!r}")
            elif name == "attributename" and value.lower() in URL_ATTRIBUTES:
                self.problems.append(f"<{tag} attributeName={value!r}> animates a URL")
            self._check_marker(value, f"<{tag} {name}>")


#: Ways to read a page: as Python's parser does (script and style are raw text); with no raw
#: text at all (what a browser does inside <svg>/<math>, where <style> holds markup); and with
#: every element a browser treats as raw text (where "</noscript>" inside an attribute ends
#: the element). Markup that runs in any reading is reported.
_AS_PYTHON = ("script", "style")
_BROWSER_RAW_TEXT = (*_AS_PYTHON, "noscript", "noembed", "noframes", "xmp", "iframe", "title",
                     "textarea")  # fmt: skip
_RAW_TEXT_CONTENT = {
    names: re.compile(rf"<({'|'.join(names)})\b[^>]*>(.*?)(?:</\1|\Z)", re.I | re.S)
    for names in (_AS_PYTHON, _BROWSER_RAW_TEXT)
}


def _reads_differently(page: str, names: tuple[str, ...]) -> bool:
    # Raw text the way a browser ends it (at the first closing tag); only a "<" in it can be
    # read as markup by the other reading. Skipping the others keeps big pages quick.
    return any("<" in found.group(2) for found in _RAW_TEXT_CONTENT[names].finditer(page))


def find_unsafe_markup(page: str) -> list[str]:
    """What in ``page`` (HTML) could run script, or shows a template was evaluated; [] if none."""
    readings = [_AS_PYTHON]
    if _reads_differently(page, _AS_PYTHON):
        readings.append(())
    if _reads_differently(page, _BROWSER_RAW_TEXT):
        readings.append(_BROWSER_RAW_TEXT)
    problems: list[str] = []
    for raw_text in readings:
        reader = _Markup(raw_text)
        reader.feed(page)
        reader.close()
        problems.extend(p for p in reader.problems if p not in problems)
    return problems
