"""Avatars: the generated default (initials on a colour) and uploaded pictures.

An upload is decoded in full and drawn afresh as WebP squares (``SIZES``), so nothing the file
carried survives: no EXIF (GPS included), no ICC or XMP, no trailing payload. The files live in
``<instance>/avatars/<member id>/<key>-<size>.webp`` under a random key per upload. New files are
written at once and deleted again if the transaction does not commit; the files a change makes
obsolete are deleted only once it has committed, so a failure never loses the current picture.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import secrets
import shutil
from pathlib import Path
from xml.sax.saxutils import escape  # escapes text written into an SVG; parses nothing  # nosec B406

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from ..audit.services import record
from ..database import WROTE, on_abort, on_commit, read_before_writing
from ..errors import DomainError
from ..extensions import db
from . import permissions
from .models import Profile

log = logging.getLogger(__name__)

# Background colours that all carry white text at WCAG AA contrast (4.5:1 or more).
PALETTE = ("#2f6f62", "#8a4a24", "#5b4b8a", "#1f5f8b", "#8a2f4f", "#4f6a2a", "#7a4f00", "#3f5560")
SIZES = (64, 256)

MAX_MEGABYTES = 5
MAX_BYTES = MAX_MEGABYTES * 1024 * 1024
# Checked on the declared size before decoding: a 5 MB PNG can declare billions of pixels.
MAX_MEGAPIXELS = 40
MAX_PIXELS = MAX_MEGAPIXELS * 1_000_000
#: Pillow's names for the formats taken, told from the bytes (MPO is a camera's multi-JPEG).
OPEN_FORMATS = ("JPEG", "PNG", "WEBP")
ACCEPTED_FORMATS = frozenset({*OPEN_FORMATS, "MPO"})
ACCEPT = "image/jpeg,image/png,image/webp"
WEBP_QUALITY = 85

TOO_LARGE = _l(
    "This file is larger than %(size)d MB. Please choose a smaller picture.", size=MAX_MEGABYTES
)
NOT_A_PICTURE = _l(
    "This file is not a picture we can read. Please choose a JPEG, PNG or WebP image."
)
OTHER_FORMAT = _l("This kind of picture is not accepted. Please choose a JPEG, PNG or WebP image.")
TOO_MANY_PIXELS = _l(
    "This picture has too many pixels (more than %(megapixels)d million). Please choose a "
    "smaller one.",
    megapixels=MAX_MEGAPIXELS,
)
DAMAGED = _l(
    "This picture is damaged or incomplete, so we could not read it. Please choose another."
)

# Picture formats refused by name rather than as "not a picture": GIF, TIFF, HEIF/AVIF, SVG.
_OTHER_SIGNATURES = (b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1", b"avif", b"avis"}

_KEY = re.compile(r"[0-9a-f]{32}")


# --- the default: initials --------------------------------------------------------------------


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


# --- uploaded pictures ----------------------------------------------------------------------


def avatar_folder(member_id: int) -> Path:
    return Path(current_app.instance_path) / "avatars" / str(int(member_id))


def avatar_path(member_id: int, key: str, size: int) -> Path:
    """Where one size of one uploaded picture is stored."""
    if not _KEY.fullmatch(key or "") or size not in SIZES:
        raise ValueError("not an avatar key and size")
    return avatar_folder(member_id) / f"{key}-{size}.webp"


def avatar_version(viewer, member) -> str | None:
    """The ``v`` of a picture's address: its key when ``viewer`` may see it, else None.

    The address changes when the picture or who may see it changes, so a browser never shows
    from its cache a picture its owner has since hidden.
    """
    key = member.profile.avatar_key
    return key if key and permissions.can_view_field(viewer, member, "avatar") else None


def stored_avatar(member_id: int, key: str, size: int) -> bytes | None:
    """The WebP bytes of a stored picture, or None when its file is missing."""
    try:
        return avatar_path(member_id, key, size).read_bytes()
    except FileNotFoundError:
        log.warning("Avatar %s of member %s is missing on disk", key, member_id)
        return None


def save_avatar(member, data: bytes) -> None:
    """Make ``data`` the member's picture; DomainError on the field "avatar" if it is unusable."""
    session = db.session()
    if session.new or session.dirty or session.deleted or session.info.get(WROTE):
        renditions = process_picture(data)
    else:
        # Decoding a large picture takes up to a second: not while holding SQLite's write lock.
        with read_before_writing():
            renditions = process_picture(data)
    profile = _locked_profile(member)
    key = secrets.token_hex(16)
    for size, webp in renditions.items():
        _write(avatar_path(member.id, key, size), webp)
    _obsolete_after_commit(member.id, profile.avatar_key)
    profile.avatar_key = key
    db.session.flush()
    record("profile.avatar_changed", member=member, actor=member)


def remove_avatar(member) -> None:
    """Back to the initials; the picture's files go once the transaction commits."""
    profile = _locked_profile(member)
    if profile.avatar_key is None:
        return
    _obsolete_after_commit(member.id, profile.avatar_key)
    profile.avatar_key = None
    db.session.flush()
    record("profile.avatar_removed", member=member, actor=member)


def remove_all_avatars_after_commit(member_id: int) -> None:
    """Delete the member's whole avatar folder once the current transaction commits."""
    folder = avatar_folder(member_id)
    on_commit(lambda: _delete([folder]))


def process_picture(data: bytes) -> dict[int, bytes]:
    """Decode ``data`` in full and draw it afresh as square WebP pictures, by size."""
    if len(data) > MAX_BYTES:
        raise _refused(TOO_LARGE)
    try:
        # Only these decoders look at the bytes; the filename and content type are never asked.
        source = Image.open(io.BytesIO(data), formats=OPEN_FORMATS)
    except UnidentifiedImageError:
        raise _refused(OTHER_FORMAT if _other_picture_format(data) else NOT_A_PICTURE) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit is far above ours; when it speaks first, the answer is the same.
        raise _refused(TOO_MANY_PIXELS) from None
    except Exception as error:  # a decoder choking on hostile bytes: refuse, never a 500
        log.info("Unreadable avatar upload: %s", type(error).__name__)
        raise _refused(DAMAGED) from None
    with source:
        width, height = source.size
        if source.format not in ACCEPTED_FORMATS:
            raise _refused(OTHER_FORMAT)
        if width * height > MAX_PIXELS:
            raise _refused(TOO_MANY_PIXELS)
        try:
            square = _decoded_square(source)
        except Exception as error:  # truncated or corrupt data, whichever decoder notices
            log.info("Unreadable avatar upload: %s", type(error).__name__)
            raise _refused(DAMAGED) from None
    largest = square.resize((SIZES[-1], SIZES[-1]), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return {
        size: _webp(
            largest if size == SIZES[-1] else largest.resize((size, size), Image.Resampling.LANCZOS)
        )
        for size in SIZES
    }


def _refused(message) -> DomainError:
    return DomainError({"avatar": message})


def _other_picture_format(data: bytes) -> bool:
    head = data[:1024]
    if head.startswith(_OTHER_SIGNATURES):
        return True
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return True
    return b"<svg" in head.lower()


def _decoded_square(source: Image.Image) -> Image.Image:
    """The first frame, fully decoded, turned upright, cropped square around its middle."""
    if source.format in ("JPEG", "MPO"):
        # Decode at the smallest 1/2, 1/4 or 1/8 scale still covering the largest size.
        source.draft("RGB", (SIZES[-1], SIZES[-1]))
    source.load()  # the whole first frame: truncated data fails here
    upright = ImageOps.exif_transpose(source)
    width, height = upright.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    square = upright.crop((left, top, left + side, top + side))
    return square.convert("RGBA" if square.has_transparency_data else "RGB")


def _webp(image: Image.Image) -> bytes:
    # A new image from the bare pixels: no info, EXIF, ICC or XMP can ride along.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    buffer = io.BytesIO()
    clean.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=4)
    return buffer.getvalue()


# --- files follow the transaction -----------------------------------------------------------


def _locked_profile(member) -> Profile:
    """The member's profile as it is now, its row locked until commit (PostgreSQL).

    Two uploads at once must not both read the same old key: the loser's files would stay.
    """
    return db.session.scalar(
        select(Profile)
        .where(Profile.member_id == member.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _write(path: Path, data: bytes) -> None:
    on_abort(lambda: _delete([path]))  # registered before writing: a half-written file goes too
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:
        handle.write(data)


def _obsolete_after_commit(member_id: int, key: str | None) -> None:
    if key is not None:
        paths = [avatar_path(member_id, key, size) for size in SIZES]
        on_commit(lambda: _delete(paths))


def _delete(paths: list[Path]) -> None:
    for path in paths:
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError:
            log.exception("Could not delete avatar file %s", path)
