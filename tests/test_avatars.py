"""Avatars: uploads are decoded, re-drawn and stripped; bad files are refused; files follow commits.

Every picture is made here with Pillow; nothing binary is checked in.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from functools import cache
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from cml_earth.audit.models import AuditEvent
from cml_earth.extensions import db
from cml_earth.profiles import avatars
from cml_earth.profiles.models import Profile
from tests.conftest import Auth, csrf_token, scalar, submit

RED = (220, 20, 20)
BLUE = (20, 20, 220)
GREEN = (20, 200, 20)
XMP = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>XMP-MARKER</x:xmpmeta>"
PAYLOAD = b"<html><script>alert('PAYLOAD-MARKER')</script></html>"


# --- pictures -------------------------------------------------------------------------------


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@cache
def plain_jpeg() -> bytes:
    return _encode(Image.new("RGB", (320, 240), GREEN), "JPEG")


@cache
def other_jpeg() -> bytes:
    return _encode(Image.new("RGB", (240, 320), BLUE), "JPEG")


@cache
def jpeg_with_metadata() -> bytes:
    """Stored 300×200 red over blue; EXIF says "rotate 90° clockwise" and where it was taken."""
    image = Image.new("RGB", (300, 200), RED)
    image.paste(BLUE, (0, 100, 300, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "CAMERA-MARKER"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (59.0, 19.0, 48.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (18.0, 4.0, 7.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = _encode(
        image, "JPEG", exif=exif, icc_profile=icc, xmp=XMP, comment=b"COMMENT-MARKER", quality=95
    )
    source = Image.open(io.BytesIO(data))  # the test means nothing unless the metadata is there
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude]
    assert {"exif", "icc_profile", "xmp", "comment"} <= set(source.info)
    return data


@cache
def transparent_png() -> bytes:
    image = Image.new("RGBA", (120, 80), (0, 0, 0, 0))
    image.paste((*GREEN, 255), (40, 20, 80, 60))
    return _encode(image, "PNG")


@cache
def animated_webp() -> bytes:
    """Two frames, red then blue: the first one is the picture."""
    frames = [Image.new("RGB", (100, 100), colour) for colour in (RED, BLUE)]
    return _encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)


@cache
def polyglot_jpeg() -> bytes:
    """A valid JPEG with an HTML page and a ZIP archive after its end."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("payload.txt", "PAYLOAD-MARKER")
    return plain_jpeg() + PAYLOAD + archive.getvalue()


@cache
def noisy_jpeg() -> bytes:
    noise = Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3))
    return _encode(noise, "JPEG", quality=90)


@cache
def oversized_png() -> bytes:
    """A real picture of about 5.5 MB: noise does not compress."""
    side = 1350
    noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    data = _encode(noise, "PNG", compress_level=1)
    assert avatars.MAX_BYTES < len(data) < 6 * 1024 * 1024 - 100_000
    return data


def png_declaring(width: int, height: int) -> bytes:
    """A PNG header that declares a huge picture, with a sliver of its pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
        + chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)


# --- helpers --------------------------------------------------------------------------------


def upload(client, data: bytes, filename="avatar.jpg", content_type="image/jpeg"):
    """POST the form as a browser would; encoded in memory (the test client's own encoder
    spools big bodies to a temporary file it never closes)."""
    token = csrf_token(client.get("/settings/avatar").get_data(as_text=True))
    fields = {
        "csrf_token": token,
        "avatar": FileStorage(io.BytesIO(data), filename, "avatar", content_type),
    }
    boundary, body = encode_multipart(fields)
    return client.post(
        "/settings/avatar", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def avatar_key(app, member) -> str | None:
    return scalar(app, select(Profile.avatar_key).where(Profile.member_id == member.id))


def stored_files(app) -> set[str]:
    folder = Path(app.instance_path) / "avatars"
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def file_path(app, member, key, size) -> Path:
    return Path(app.instance_path) / "avatars" / str(member.id) / f"{key}-{size}.webp"


def files_for(member, key) -> set[str]:
    return {f"{member.id}/{key}-{size}.webp" for size in avatars.SIZES}


def set_profile(app, member, **values) -> None:
    with app.app_context():
        profile = db.session.get(Profile, member.id)
        for name, value in values.items():
            setattr(profile, name, value)
        db.session.commit()


def fetch(client, member, size=256):
    return client.get(f"/members/{member.username}/avatar/{size}")


def opened(response) -> Image.Image:
    assert response.status_code == 200
    assert response.mimetype == "image/webp"
    return Image.open(io.BytesIO(response.data))


def riff_chunks(data: bytes) -> list[bytes]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    chunks, at = [], 12
    while at + 8 <= len(data):
        kind, size = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
        chunks.append(kind)
        at += 8 + size + (size & 1)
    return chunks


def dominant(pixel) -> str:
    red, green, blue = pixel[:3]
    return {red: "red", green: "green", blue: "blue"}[max(red, green, blue)]


@pytest.fixture
def owner(client, auth, patient):
    assert auth.login(patient).status_code == 302
    return patient


# --- accepted pictures ----------------------------------------------------------------------


def test_the_settings_page_offers_the_upload(client, owner):
    response = client.get("/settings/avatar")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'accept="image/jpeg,image/png,image/webp"' in html
    assert 'type="file"' in html
    assert "Location data" in html
    assert 'href="/settings/avatar" aria-current="page"' in html
    assert "Remove my picture" not in html  # nothing to remove yet


def test_a_photo_loses_its_location_and_every_other_metadata(app, client, owner):
    response = upload(client, jpeg_with_metadata())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/settings/avatar")
    key = avatar_key(app, owner)
    assert key and len(key) == 32
    assert stored_files(app) == files_for(owner, key)
    kinds = select(func.count()).select_from(AuditEvent)
    assert scalar(app, kinds.where(AuditEvent.kind == "profile.avatar_changed")) == 1

    for size in avatars.SIZES:
        response = fetch(client, owner, size)
        picture = opened(response)
        assert picture.format == "WEBP"
        assert picture.size == (size, size)
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(picture.info)
        assert not picture.getexif()
        assert set(riff_chunks(response.data)) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}
        for marker in (b"Exif", b"GPS", b"ICCP", b"XMP", b"CAMERA-MARKER", b"COMMENT-MARKER"):
            assert marker not in response.data
        assert file_path(app, owner, key, size).read_bytes() == response.data

    # Orientation 6 turns the stored "red over blue" into "blue left of red".
    picture = opened(fetch(client, owner, 256)).convert("RGB")
    assert dominant(picture.getpixel((40, 128))) == "blue"
    assert dominant(picture.getpixel((216, 128))) == "red"


def test_transparency_survives(app, client, owner):
    assert upload(client, transparent_png(), "avatar.png", "image/png").status_code == 302
    picture = opened(fetch(client, owner, 256))
    assert picture.mode == "RGBA"
    assert picture.getpixel((128, 2))[3] == 0  # the transparent sides, cropped to a square
    centre = picture.getpixel((128, 128))
    assert centre[3] == 255 and dominant(centre) == "green"


def test_an_animated_webp_becomes_its_first_frame(app, client, owner):
    assert upload(client, animated_webp(), "avatar.webp", "image/webp").status_code == 302
    picture = opened(fetch(client, owner, 64))
    assert not getattr(picture, "is_animated", False)
    assert dominant(picture.convert("RGB").getpixel((32, 32))) == "red"


def test_a_polyglot_is_stored_as_a_clean_picture_only(app, client, owner):
    assert upload(client, polyglot_jpeg()).status_code == 302
    key = avatar_key(app, owner)
    for size in avatars.SIZES:
        data = file_path(app, owner, key, size).read_bytes()
        riff_chunks(data)
        for marker in (b"PAYLOAD-MARKER", b"<script", b"<html", b"PK\x03\x04"):
            assert marker not in data


def test_a_new_picture_replaces_the_old_files_and_removing_brings_back_the_initials(
    app, client, owner
):
    assert upload(client, plain_jpeg()).status_code == 302
    first = avatar_key(app, owner)
    assert upload(client, other_jpeg()).status_code == 302
    second = avatar_key(app, owner)
    assert second != first
    assert stored_files(app) == files_for(owner, second)
    page = client.get("/settings/avatar").get_data(as_text=True)
    assert f"v={second}" in page
    assert "Remove my picture" in page

    response = submit(client, "/settings/avatar/remove", {}, page="/settings/avatar")
    assert response.status_code == 302
    assert avatar_key(app, owner) is None
    assert stored_files(app) == set()
    response = fetch(client, owner)
    assert response.mimetype == "image/svg+xml"
    assert "<text" in response.get_data(as_text=True)
    kinds = select(AuditEvent.kind).where(AuditEvent.member_id == owner.id)
    with app.app_context():
        events = db.session.scalars(kinds).all()
    assert events.count("profile.avatar_changed") == 2
    assert events.count("profile.avatar_removed") == 1


# --- refused uploads ------------------------------------------------------------------------


REFUSALS = [
    ("text", lambda: b"I am not a picture.\n" * 20, "avatar.jpg", "image/jpeg", "NOT_A_PICTURE"),
    ("html", lambda: PAYLOAD * 5, "avatar.png", "image/png", "NOT_A_PICTURE"),
    ("pdf", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "me.jpg", "image/jpeg",
     "NOT_A_PICTURE"),
    ("empty", lambda: b"", "avatar.jpg", "image/jpeg", "NOT_A_PICTURE"),
    ("svg named png", lambda: SVG, "avatar.png", "image/png", "OTHER_FORMAT"),
    ("gif", lambda: _encode(Image.new("RGB", (50, 50), RED), "GIF"), "avatar.gif", "image/gif",
     "OTHER_FORMAT"),
    ("truncated jpeg", lambda: noisy_jpeg()[: len(noisy_jpeg()) // 2], "avatar.jpg", "image/jpeg",
     "DAMAGED"),
    ("48 megapixels", lambda: png_declaring(8000, 6000), "avatar.png", "image/png",
     "TOO_MANY_PIXELS"),
    ("bomb", lambda: png_declaring(30000, 30000), "avatar.png", "image/png", "TOO_MANY_PIXELS"),
    ("over 5 MB", oversized_png, "avatar.png", "image/png", "TOO_LARGE"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "filename", "content_type", "message"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_a_bad_upload_is_refused_and_changes_nothing(
    app, client, owner, make, filename, content_type, message
):
    assert upload(client, plain_jpeg()).status_code == 302
    key = avatar_key(app, owner)

    response = upload(client, make(), filename, content_type)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    with app.test_request_context():
        assert str(getattr(avatars, message)) in html
    assert 'id="avatar-error"' in html
    assert avatar_key(app, owner) == key
    assert stored_files(app) == files_for(owner, key)


def test_a_body_over_the_request_limit_is_refused_whole(app, client, owner):
    assert upload(client, plain_jpeg()).status_code == 302
    key = avatar_key(app, owner)
    response = upload(client, b"\xff\xd8\xff" + b"\x00" * (6 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert avatar_key(app, owner) == key
    assert stored_files(app) == files_for(owner, key)


# --- files follow the transaction -----------------------------------------------------------


@pytest.mark.parametrize("propagate", [True, False], ids=["exception", "error page"])
def test_a_failing_request_leaves_no_new_files(app, client, owner, monkeypatch, propagate):
    assert upload(client, plain_jpeg()).status_code == 302
    key = avatar_key(app, owner)

    def broken_audit(*args, **kwargs):
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr(avatars, "record", broken_audit)
    app.config["PROPAGATE_EXCEPTIONS"] = propagate
    if propagate:
        with pytest.raises(RuntimeError):
            upload(client, other_jpeg())
    else:
        assert upload(client, other_jpeg()).status_code == 500
    assert avatar_key(app, owner) == key
    assert stored_files(app) == files_for(owner, key)


def test_a_savepoint_is_not_the_commit(app, client, owner):
    assert upload(client, plain_jpeg()).status_code == 302
    key = avatar_key(app, owner)
    with app.app_context():
        profile = db.session.get(Profile, owner.id)
        avatars.save_avatar(profile.member, other_jpeg())
        with db.session.begin_nested():
            db.session.flush()
        assert files_for(owner, key) < stored_files(app)  # the old files wait for the commit
        assert len(stored_files(app)) == 4
        db.session.rollback()
    assert avatar_key(app, owner) == key
    assert stored_files(app) == files_for(owner, key)


def test_erasure_removes_the_whole_folder_after_commit(app, client, owner):
    assert upload(client, plain_jpeg()).status_code == 302
    for outcome in ("rollback", "commit"):
        with app.app_context():
            db.session.get(Profile, owner.id)  # the erasure's transaction
            avatars.remove_all_avatars_after_commit(owner.id)
            getattr(db.session, outcome)()
        if outcome == "rollback":
            assert len(stored_files(app)) == 2  # a rolled-back erasure keeps them
    assert not (Path(app.instance_path) / "avatars" / str(owner.id)).exists()


# --- who sees the picture -------------------------------------------------------------------


def test_a_private_picture_shows_the_initials_to_others(app, client, owner, relative):
    assert upload(client, plain_jpeg()).status_code == 302
    key = avatar_key(app, owner)
    set_profile(app, owner, avatar_visibility="private")
    assert opened(fetch(client, owner)).format == "WEBP"

    other = app.test_client()
    assert Auth(other).login(relative).status_code == 302
    response = fetch(other, owner)
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    # The page's address for the picture changes too, so no browser cache shows the photo.
    page = other.get(f"/members/{owner.username}").get_data(as_text=True)
    assert f"/members/{owner.username}/avatar/256" in page and key not in page

    set_profile(app, owner, profile_visibility="private")
    assert fetch(other, owner).status_code == 404
    assert fetch(other, owner, 64).status_code == 404


def test_visitors_see_a_public_picture_of_a_public_profile_only(app, client, owner):
    assert upload(client, plain_jpeg()).status_code == 302
    visitor = app.test_client()
    assert fetch(visitor, owner).status_code == 404  # profiles are for members by default

    set_profile(app, owner, profile_visibility="public")
    assert fetch(visitor, owner).mimetype == "image/svg+xml"  # the picture is not public yet

    set_profile(app, owner, avatar_visibility="public")
    response = fetch(visitor, owner, 64)
    assert opened(response).size == (64, 64)
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert visitor.get(f"/members/{owner.username}/avatar/128").status_code == 404
