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
"""

import io
import math
import mimetypes
import secrets
import warnings
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404, HttpResponse
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
