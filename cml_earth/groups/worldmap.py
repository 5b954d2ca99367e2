"""A world map of members and groups per country, drawn as inline SVG on the server.

The country outlines come from the ``pygal_maps_world`` package (LGPLv3+): one ``<g>`` per country
whose first class is the lower-case ISO 3166-1 alpha-2 code. Nothing is fetched from elsewhere and
the page needs no script. The SVG is decorative for assistive technology (``aria-hidden``): the
table next to it (``map_rows``) carries the same facts.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from defusedxml import ElementTree as DefusedET
from flask_babel import force_locale, format_number, get_locale, get_translations, gettext
from markupsafe import Markup

from cml_earth.i18n import collation_key, country_codes, country_name

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
VIEW_BOX = "0 0 2475 1388"

#: A country's weight is its members plus this many for each group: a group is a place to meet,
#: so a country with one group and two members reads as more alive than one with five members.
GROUP_WEIGHT = 5
#: Lowest weight for shades 1 to 4; templates/groups/_map.html shows the same ranges in its legend.
SHADE_THRESHOLDS = (1, 5, 20, 100)

#: How much of the source's detail each map keeps. The source has one or two decimals in a
#: 2475-unit-wide map; whole units are well under a pixel even on the full page (about 350 kB
#: instead of 540 kB). The home page's small map draws coastlines as straight lines through points
#: at least 3 units apart (about half a pixel there), which brings it to about 100 kB.
FULL_DETAIL = {"decimals": 0}
SMALL_DETAIL = {"decimals": 0, "outline_only": True, "tolerance": 3}


@dataclass(frozen=True)
class CountryCount:
    members: int
    groups: int


def shade(count: CountryCount) -> int:
    """The map colour step for a country, 0 (nobody yet) to 4 (weight 100 or more)."""
    weight = count.members + GROUP_WEIGHT * count.groups
    return sum(weight >= threshold for threshold in SHADE_THRESHOLDS)


# Cached per process: it depends only on the shipped map file, never on database rows, so every
# instance holds the same value and nothing needs invalidating.
@cache
def country_shapes() -> dict[str, tuple[str, ...]]:
    """Path data of each country on the map, by upper-case ISO code (read once per process)."""
    source = importlib.resources.files("pygal_maps_world") / "worldmap.svg"
    root = DefusedET.fromstring(source.read_bytes())
    countries = root.find(f"{{{SVG_NAMESPACE}}}g[@id='countries']")
    if countries is None:
        raise LookupError("pygal_maps_world/worldmap.svg has no <g id='countries'>")
    known = set(country_codes())
    shapes: dict[str, tuple[str, ...]] = {}
    for group in countries.iterfind(f"{{{SVG_NAMESPACE}}}g"):
        classes = (group.get("class") or "").split()
        code = classes[0].upper() if classes else ""
        if code not in known:
            continue
        paths = tuple(
            path.get("d", "") for path in group.iter(f"{{{SVG_NAMESPACE}}}path") if path.get("d")
        )
        if paths:
            shapes[code] = shapes.get(code, ()) + paths
    return shapes


# Numbers of arguments per path command; arcs (flags) are left to the fallback.
_ARGUMENTS = {"m": 2, "l": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "t": 2, "z": 0}
_TOKEN = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.startswith("0."):
        text = text[1:]
    elif text.startswith("-0."):
        text = "-" + text[2:]
    return "0" if text in ("-0", "") else text


class _PathWriter:
    """Writes path data as tersely as SVG allows: repeated commands and needless spaces dropped."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.letter = ""
        self.last = ""

    def write(self, letter: str, numbers: list[str]) -> None:
        if letter != self.letter or letter == "m":
            self.parts.append(letter)
            self.letter, self.last = letter, ""
        for number in numbers:
            # A minus sign, or a dot after a number that has one, already separates two numbers.
            joined = number.startswith("-") or (number.startswith(".") and "." in self.last)
            if self.last and not joined:
                self.parts.append(" ")
            self.parts.append(number)
            self.last = number

    def text(self) -> str:
        return "".join(self.parts)


Point = tuple[float, float]


def _subpaths(d: str) -> list[tuple[Point, list[tuple[str, list[Point]]], bool]]:
    """Path data as absolute subpaths: (start, [(command, points)], closed)."""
    tokens = _TOKEN.findall(d)
    subpaths: list[tuple[Point, list[tuple[str, list[Point]]], bool]] = []
    current: Point = (0.0, 0.0)
    index, command = 0, ""
    while index < len(tokens):
        if tokens[index].isalpha():
            command = tokens[index]
            index += 1
            if command.lower() == "z":
                if subpaths:
                    start, segments, _ = subpaths[-1]
                    subpaths[-1] = (start, segments, True)
                    current = start
                continue
        lower = command.lower()
        if lower not in _ARGUMENTS or lower == "z":
            raise ValueError(f"unsupported path command {command!r}")
        count = _ARGUMENTS[lower]
        values = [float(token) for token in tokens[index : index + count]]
        if len(values) < count:
            raise ValueError("truncated path data")
        index += count
        relative = command.islower()
        if lower == "h":
            values = [values[0], 0.0 if relative else current[1]]
        elif lower == "v":
            values = [0.0 if relative else current[0], values[0]]
        points = [
            (current[0] + x, current[1] + y) if relative else (x, y)
            for x, y in zip(values[::2], values[1::2], strict=True)
        ]
        current = points[-1]
        if lower == "m":
            subpaths.append((current, [], False))
            command = "l" if relative else "L"  # pairs after a moveto are lines
        elif not subpaths:
            raise ValueError("path data must start with a moveto")
        else:
            subpaths[-1][1].append(("l" if lower in "hv" else lower, points))
    return subpaths


def _compact(d: str, decimals: int, *, outline_only: bool = False, tolerance: float = 0) -> str:
    """Path data rounded to ``decimals``, written relative, without drift or empty segments.

    Every point is rounded in absolute terms and the steps are taken between rounded points, so
    rounding errors never add up along a coastline. ``outline_only`` draws curves as straight
    lines; ``tolerance`` then also drops vertices closer than that to the previous one drawn.
    """
    writer = _PathWriter()
    drawn: Point = (0.0, 0.0)

    def snap(point: Point) -> Point:
        return (round(point[0], decimals), round(point[1], decimals))

    def steps(points: list[Point], origin: Point) -> list[str]:
        numbers = []
        for point in points:
            x, y = snap(point)
            numbers += [_number(x - origin[0], decimals), _number(y - origin[1], decimals)]
        return numbers

    for start, segments, closed in _subpaths(d):
        writer.write("m", steps([start], drawn))
        drawn = subpath_start = snap(start)
        for number, (command, points) in enumerate(segments):
            if outline_only:
                command, points = "l", points[-1:]
                x, y = snap(points[0])
                last = number == len(segments) - 1
                if not last and max(abs(x - drawn[0]), abs(y - drawn[1])) < tolerance:
                    continue
            numbers = steps(points, drawn)
            if all(step == "0" for step in numbers):
                continue  # nothing would move on screen
            if command == "l" and numbers[1] == "0":
                writer.write("h", numbers[:1])
            elif command == "l" and numbers[0] == "0":
                writer.write("v", numbers[1:])
            else:
                writer.write(command, numbers)
            drawn = snap(points[-1])
        if closed:
            writer.write("z", [])
            drawn = subpath_start
    return writer.text()


@cache
def _country_paths(small: bool) -> dict[str, Markup]:
    """Each country's ``<path>`` elements, ready to embed, in the detail its map size needs."""
    detail = SMALL_DETAIL if small else FULL_DETAIL
    paths = {}
    for code, shapes in country_shapes().items():
        parts = []
        for d in shapes:
            try:
                data = _compact(d, **detail)
            except ValueError:
                data = d  # a shape we cannot simplify is drawn as it is
            parts.append(Markup('<path d="{}"/>').format(data))
        paths[code] = Markup("").join(parts)
    return paths


def _title(code: str, count: CountryCount, locale: str | None) -> str:
    name = country_name(code, locale)
    if not (count.members or count.groups):
        return name
    # flask_babel.ngettext would put the bare number in %(num)s; these show it formatted (1 200).
    translations = get_translations()
    members = translations.ungettext("%(num)s member", "%(num)s members", count.members) % {
        "num": format_number(count.members)
    }
    groups = translations.ungettext("%(num)s group", "%(num)s groups", count.groups) % {
        "num": format_number(count.groups)
    }
    return gettext(
        "%(country)s: %(members)s, %(groups)s", country=name, members=members, groups=groups
    )


def render_map(
    counts: dict[str, CountryCount],
    *,
    link_for: Callable[[str], str],
    locale: str | None = None,
    small: bool = False,
    title_id: str | None = None,
) -> Markup:
    """The ``<svg>`` world map, each country shaded by its counts and linked when it has any.

    ``link_for(code)`` gives the address of a country's groups. ``locale`` defaults to the
    request's. ``title_id``, when given, adds a ``<title>`` with that id naming the whole map, for
    a page that wants to point at it (``aria-labelledby`` on a surrounding element).
    """
    if locale is None:
        return _render(counts, link_for, None, small, title_id)
    with force_locale(locale):
        return _render(counts, link_for, str(locale), small, title_id)


def _render(
    counts: dict[str, CountryCount],
    link_for: Callable[[str], str],
    locale: str | None,
    small: bool,
    title_id: str | None,
) -> Markup:
    paths = _country_paths(small)
    css_class = "world-map world-map-small" if small else "world-map"
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="{}" class="{}" aria-hidden="true"'
            ' focusable="false">'
        ).format(VIEW_BOX, css_class)
    ]
    if title_id:
        parts.append(
            Markup('<title id="{}">{}</title>').format(
                title_id, gettext("Members and groups by country")
            )
        )
    counts = {code.upper(): count for code, count in counts.items()}
    nobody = CountryCount(0, 0)
    for code, country_paths in paths.items():
        count = counts.get(code, nobody)
        step = shade(count)
        country = Markup(
            '<g class="country shade-{}" data-code="{}"><title>{}</title>{}</g>'
        ).format(step, code, _title(code, count, locale), country_paths)
        if step:
            country = Markup('<a href="{}" tabindex="-1">{}</a>').format(link_for(code), country)
        parts.append(country)
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def map_rows(
    counts: dict[str, CountryCount], locale: str | None = None
) -> list[tuple[str, str, CountryCount]]:
    """(code, name, count) of every country with members or groups, in the locale's order.

    Includes countries too small to appear on the map (Åland, Fiji, Qatar...).
    """
    if locale is None:
        locale = str(get_locale())
    key = collation_key(locale)
    rows = [
        (code.upper(), country_name(code, locale), count)
        for code, count in counts.items()
        if count.members or count.groups
    ]
    return sorted(rows, key=lambda row: (key(row[1]), row[0]))


#: Fills of the stand-alone picture (an ``<img>`` cannot use the site's style sheet): the
#: light colours of static/css/map.css, as presentation attributes (no inline CSS needed).
IMAGE_FILLS = ("#fbf8f3", "#b3d9ca", "#86c2ad", "#3f927b", "#1b5547")
IMAGE_OCEAN = "#dfeaee"
IMAGE_STROKE = "#6f655c"


def render_image(counts: dict[str, CountryCount]) -> str:
    """The small map as a stand-alone SVG document, for an ``<img>`` on the home page.

    No links and no country names: the page around it gives the picture its text alternative
    and links to the full map, which has both. It is the same for every language, so browsers
    and proxies may cache one copy.
    """
    paths = _country_paths(True)
    counts = {code.upper(): count for code, count in counts.items()}
    nobody = CountryCount(0, 0)
    width, height = VIEW_BOX.split()[2:]
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="{}" width="{}" height="{}">'
            '<rect width="100%" height="100%" fill="{}"/>'
            '<g stroke="{}" stroke-width="1" stroke-linejoin="round">'
        ).format(VIEW_BOX, width, height, IMAGE_OCEAN, IMAGE_STROKE)
    ]
    for code, country_paths in paths.items():
        step = shade(counts.get(code, nobody))
        parts.append(
            Markup('<g fill="{}" data-code="{}">{}</g>').format(
                IMAGE_FILLS[step], code, country_paths
            )
        )
    parts.append(Markup("</g></svg>"))
    return str(Markup("").join(parts))
