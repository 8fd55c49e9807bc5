"""Uploaded photos, made safe to keep (DESIGN.md C5, C12).

A photo is accepted only when Pillow recognises it as JPEG, PNG or WebP, whatever its name
says, and only up to PHOTO_MAX_BYTES. It is then decoded, turned upright by its EXIF
orientation, shrunk to at most PHOTO_MAX_SIDE pixels on the long side and encoded again from
the bare pixels, so that nothing of the original file survives: no EXIF (GPS position, phone
model, time), no comments, no embedded payloads.

    photo = photo_clean(request.FILES["photo"])   # ContentFile named <random>.jpg|png|webp
    order_submit(..., photo=photo)

Anything else raises django.core.exceptions.ValidationError with a message for the resident.

A stored photo is shown only through a view that has checked who is asking
(orders/views/photos.py), which answers with `photo_response(field_file)`.

A photo chosen on a form that comes back with a mistake elsewhere is kept for a while, so
that nobody has to choose it again (a file input cannot be refilled): `KeepsPhoto` (a form
mixin) writes the upload's raw bytes under a random name into PHOTO_KEPT_DIR (never served),
and the page carries a signed token naming that file; the next post without a new file gets
the kept bytes back as its upload, which then goes through photo_clean like any other.
`kept_photos_prune` (a scheduled job) deletes what was never sent again.
"""

import datetime as dt
import io
import math
import mimetypes
import os
import re
import secrets
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_SIDE = 2048
# A small file can still unpack into a huge bitmap (a "decompression bomb"): refuse above this,
# read from the header before anything is decoded. Pillow itself warns above MAX_IMAGE_PIXELS
# and refuses above twice that (its default, 89 Mpx, is more than any photo here may have).
PHOTO_MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = PHOTO_MAX_PIXELS

# Pillow format name -> (format to write, file extension)
ACCEPTED = {"JPEG": ("JPEG", "jpg"), "PNG": ("PNG", "png"), "WEBP": ("WEBP", "webp")}


def _not_a_photo() -> ValidationError:
    return ValidationError(
        _(
            "This file is not a photo we can use. "
            "Please choose a JPEG, PNG or WebP photo, or leave the photo out."
        ),
        code="photo_unreadable",
    )


def photo_precheck(uploaded_file) -> None:
    """The checks that cost nothing (the size): a form runs them with its other fields, and
    leaves photo_clean, which decodes, until everything else is right."""
    size = getattr(uploaded_file, "size", None)
    if size is None or size > PHOTO_MAX_BYTES:
        raise ValidationError(
            _("The photo is larger than 5 MB. Please choose a smaller photo, or leave it out."),
            code="photo_too_large",
        )
    if size == 0:
        raise _not_a_photo()


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _(
            "This photo has too many pixels (at most %(limit)s million). "
            "Please choose a smaller photo, or leave the photo out."
        )
        % {"limit": PHOTO_MAX_PIXELS // 1_000_000},
        code="photo_too_many_pixels",
    )


def photo_clean(uploaded_file) -> ContentFile:
    """Check and re-encode an uploaded photo; return a ContentFile with a safe new name.

    Nothing is decoded before the header has told the format and the pixel count (Pillow's
    Image.open reads only the header); a JPEG larger than needed is decoded at a reduced
    scale by libjpeg (draft mode), which costs a fraction of a full decode.
    """
    photo_precheck(uploaded_file)
    uploaded_file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                image = Image.open(uploaded_file)
            except (Image.DecompressionBombWarning, Image.DecompressionBombError):
                # Pillow's own check of the header against MAX_IMAGE_PIXELS (= our limit).
                raise _too_many_pixels() from None
            kind = image.format
            if kind not in ACCEPTED:
                raise ValidationError(
                    _(
                        "Only JPEG, PNG or WebP photos can be sent (this one is %(kind)s). "
                        "Please choose another photo, or leave the photo out."
                    )
                    % {"kind": kind or "?"},
                    code="photo_format",
                )
            width, height = image.size
            if width * height > PHOTO_MAX_PIXELS:
                raise _too_many_pixels()
            scale = PHOTO_MAX_SIDE / max(width, height)
            if kind == "JPEG" and scale < 1:
                image.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))
            image.load()
            image = ImageOps.exif_transpose(image)
            out_format, extension = ACCEPTED[kind]
            image = _bare_pixels(image, out_format)
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            if out_format == "JPEG":
                image.save(buffer, "JPEG", quality=85, optimize=True)
            elif out_format == "WEBP":
                image.save(buffer, "WEBP", quality=85, method=4)
            else:
                image.save(buffer, "PNG", optimize=True)
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        KeyError,
        TypeError,
    ):
        # Whatever Pillow cannot read, turn upright or write again is not a photo we keep.
        raise _not_a_photo() from None
    return ContentFile(buffer.getvalue(), name=f"{secrets.token_hex(10)}.{extension}")


def _bare_pixels(image: Image.Image, out_format: str) -> Image.Image:
    """A new image holding only the pixels: no info dict, no EXIF, no ICC, no text chunks."""
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or (
        image.mode == "P" and "transparency" in image.info
    )
    if out_format == "JPEG":
        mode = "L" if image.mode in {"1", "L"} else "RGB"
    else:
        mode = "RGBA" if has_alpha else ("L" if image.mode in {"1", "L"} else "RGB")
    if image.mode != mode:
        if out_format == "JPEG" and has_alpha:
            # Transparent parts become white rather than black.
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, "white")
            image.paste(rgba, mask=rgba.getchannel("A"))
        else:
            image = image.convert(mode)
    bare = Image.new(mode, image.size)
    bare.paste(image)
    return bare


# --- keeping photos across a page sent back with a mistake -----------------------------------

# How long a kept photo can be sent again: the token's max age, and the age after which
# kept_photos_prune deletes the file.
KEPT_PHOTO_MAX_AGE = dt.timedelta(hours=1)
KEPT_PHOTO_SALT = "pledgeloop.lib.photos.kept"
# A kept file's name: only ever one we made (secrets.token_hex), never one a client chose.
_KEPT_KEY = re.compile(r"[0-9a-f]{32}")
# The name shown to the resident ("IMG_1234.jpg"), shortened.
KEPT_NAME_LENGTH = 60


@dataclass(frozen=True)
class KeptFile:
    """One upload kept on the server: the random file name, and the name and size the phone
    gave it (for the page to show)."""

    key: str
    name: str
    size: int


@dataclass(frozen=True)
class KeptPhoto:
    """The photo (or photos, for a field of several) kept for one form field, and the signed
    token the page carries for them."""

    token: str
    files: tuple[KeptFile, ...]

    @property
    def name(self) -> str:
        return self.files[0].name

    @property
    def size(self) -> int:
        return self.files[0].size


def _kept_dir() -> Path:
    return Path(settings.PHOTO_KEPT_DIR)


def photo_recognised(uploaded_file) -> bool:
    """The cheap checks of photo_precheck, and Pillow knowing the file from its header (no
    pixels decoded): what an upload must pass to be kept."""
    try:
        photo_precheck(uploaded_file)
        uploaded_file.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(uploaded_file) as image:
                known = image.format in ACCEPTED
    except Exception:  # whatever Pillow cannot read is not kept
        return False
    finally:
        uploaded_file.seek(0)
    return known


def photo_keep(uploaded_files: list) -> KeptPhoto | None:
    """Keep uploads' raw bytes for KEPT_PHOTO_MAX_AGE; None unless every one is a photo to
    keep (size, header)."""
    if not uploaded_files or not all(photo_recognised(f) for f in uploaded_files):
        return None
    folder = _kept_dir()
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for uploaded_file in uploaded_files:
        key = secrets.token_hex(16)
        with open(folder / key, "xb") as out:
            for chunk in uploaded_file.chunks():
                out.write(chunk)
        name = os.path.basename(uploaded_file.name or "")[-KEPT_NAME_LENGTH:]
        files.append(KeptFile(key=key, name=name, size=uploaded_file.size))
    payload = [[f.key, f.name, f.size] for f in files]
    token = signing.dumps(payload, salt=KEPT_PHOTO_SALT, compress=True)
    return KeptPhoto(token=token, files=tuple(files))


def photo_kept(token: str) -> KeptPhoto | None:
    """The kept photos a token names, or None: forged, expired, or a file of it gone."""
    try:
        payload = signing.loads(
            token, salt=KEPT_PHOTO_SALT, max_age=KEPT_PHOTO_MAX_AGE.total_seconds()
        )
        files = tuple(KeptFile(key=k, name=str(n), size=int(s)) for k, n, s in payload)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    for kept in files:
        if not isinstance(kept.key, str) or not _KEPT_KEY.fullmatch(kept.key):
            return None
    if not files or not all((_kept_dir() / f.key).is_file() for f in files):
        return None
    return KeptPhoto(token=token, files=files)


def kept_photo_take(kept: KeptPhoto) -> list[SimpleUploadedFile]:
    """The kept bytes as uploads (with the names the phone gave them), the files deleted: a
    token is used once. Empty when the files went meanwhile."""
    uploads = []
    for kept_file in kept.files:
        path = _kept_dir() / kept_file.key
        try:
            content = path.read_bytes()
            path.unlink()
        except FileNotFoundError:
            kept_photo_drop(kept)
            return []
        uploads.append(SimpleUploadedFile(kept_file.name or "photo", content))
    return uploads


def kept_photo_drop(kept: KeptPhoto) -> None:
    for kept_file in kept.files:
        (_kept_dir() / kept_file.key).unlink(missing_ok=True)


def kept_photos_prune(*, now: dt.datetime | None = None) -> int:
    """Delete the kept photos older than KEPT_PHOTO_MAX_AGE (their tokens have expired);
    returns how many went. Idempotent; only regular files of our own names count."""
    now = now or timezone.now()
    cutoff = (now - KEPT_PHOTO_MAX_AGE).timestamp()
    removed = 0
    try:
        entries = list(os.scandir(_kept_dir()))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if not _KEPT_KEY.fullmatch(entry.name):
            continue
        status = entry.stat(follow_symlinks=False)
        if stat.S_ISREG(status.st_mode) and status.st_mtime < cutoff:
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                continue  # taken or removed meanwhile
            removed += 1
    return removed


class KeepsPhoto:
    """A form mixin: its photo field (`kept_photo_field`, one photo or several) survives the
    page coming back with a mistake elsewhere.

    The page carries `<field>_kept` (the token) and `<field>_drop` (the "不要这张照片" tick),
    drawn by templates/_photo_pick_control.html. On a post, a newly chosen file wins; else a
    valid token not dropped supplies the files as if they had been chosen again, so the
    field's own checks (required, photo_precheck, photo_clean) run on them unchanged. A post
    without a token does no work here: no query, no file.

    The view calls `photo_keep()` when it draws the page again with errors: the photos, if the
    field has no error and each passes the cheap checks and the header read, are kept under a
    new token; the template reads `kept_photo`. The files a token named are deleted as soon as
    they are read (or dropped, or replaced by a new choice), so a token works once.
    """

    kept_photo_field = "photo"

    def __init__(self, *args, take_kept: bool = True, **kwargs):
        """`take_kept=False`: the post is refused before anything is read (over a limit), and
        a kept photo stays kept, under the same token, for the next send."""
        super().__init__(*args, **kwargs)
        self.kept_photo: KeptPhoto | None = None
        # Whether a photo came with this post, new or kept (the page says whether it is kept).
        self.photo_sent = False
        if not self.is_bound:
            return
        name = self.add_prefix(self.kept_photo_field)
        self.photo_sent = any(self.files.getlist(name))
        token = self.data.get(f"{name}_kept")
        if not token:
            return
        kept = photo_kept(token)
        if kept is None:
            return
        if self.photo_sent or self.data.get(f"{name}_drop"):
            kept_photo_drop(kept)
            return
        if not take_kept:
            self.kept_photo = kept
            return
        uploads = kept_photo_take(kept)
        if uploads:
            self.files = self.files.copy()
            self.files.setlist(name, uploads)
            self.photo_sent = True

    def photo_keep(self) -> KeptPhoto | None:
        """Keep this post's photos for the page drawn again with errors (see the class)."""
        if self.kept_photo is None and self.photo_sent and self.kept_photo_field not in self.errors:
            uploads = self.files.getlist(self.add_prefix(self.kept_photo_field))
            self.kept_photo = photo_keep([f for f in uploads if f])
        return self.kept_photo

    @property
    def photo_again(self) -> bool:
        """A photo came with the post but is not kept: the page asks to choose it again."""
        return self.photo_sent and self.kept_photo is None


# --- showing a stored photo ------------------------------------------------------------------

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def photo_response(field_file) -> HttpResponse:
    """The photo of an ImageField, for a request whose access has been checked.

    PHOTOS_SENDFILE chooses who sends the bytes: the app itself (FileResponse, streamed; works
    under any server), nginx (`X-Accel-Redirect` to PHOTOS_ACCEL_PREFIX + the file's name, an
    `internal` location aliased to MEDIA_ROOT) or Apache/lighttpd (`X-Sendfile` with the
    path). Never cached by browsers or proxies: who may see a photo can change.
    """
    name = field_file.name
    if not name or not field_file.storage.exists(name):
        raise Http404
    extension = name.rsplit(".", 1)[-1].lower()
    content_type = CONTENT_TYPES.get(extension) or (
        mimetypes.guess_type(name)[0] or "application/octet-stream"
    )
    mode = settings.PHOTOS_SENDFILE
    if mode == "x-accel-redirect":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = quote(settings.PHOTOS_ACCEL_PREFIX + name)
    elif mode == "x-sendfile":
        response = HttpResponse(content_type=content_type)
        response["X-Sendfile"] = field_file.path
    else:
        response = FileResponse(field_file.storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response
