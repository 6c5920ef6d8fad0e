"""Item images the operator uploads: checked by their content, kept by their hash.

A file is accepted only when its first bytes are a PNG, JPEG or WebP signature and Pillow can
read it as that format within IMAGE_MAX_BYTES and MAX_PIXELS (what the name or the browser's
Content-Type says is ignored: both are the uploader's to choose). It is stored in IMAGE_DIR as
`<sha256 prefix>.<ext>`, so the same picture uploaded twice is one file, and a name never comes
from the uploader (no path in it, nothing to traverse). The item then points at
`uploads/<name>`, which the catalog's `static_url` turns into /static/uploads/<name>, served by
`serve` below from IMAGE_DIR."""

import hashlib
import io
import os
import re
import tempfile
from pathlib import Path

from flask import current_app

from shop.errors import InvalidInput, NotFound

PREFIX = "uploads/"
MAX_PIXELS = 4096 * 4096
KINDS = {  # Pillow's format name -> (extension, MIME type)
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "WEBP": ("webp", "image/webp"),
}
SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF")
NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpg|webp)$")


class BadImage(InvalidInput):
    """That file isn't an image we can use: upload a PNG, JPEG or WebP picture."""

    code = "bad_image"


def _folder() -> Path:
    return Path(current_app.config["IMAGE_DIR"])


def check(data: bytes) -> tuple[str, str]:
    """(extension, MIME type) of an acceptable image. Raises BadImage."""
    limit = current_app.config["IMAGE_MAX_BYTES"]
    if not data:
        raise BadImage("Choose a picture to upload.", field="image")
    if len(data) > limit:
        raise BadImage(f"The picture is over {limit // 1024:,} KB: make it smaller.", field="image")
    if not data.startswith(SIGNATURES) or (data.startswith(b"RIFF") and data[8:12] != b"WEBP"):
        raise BadImage(field="image")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as picture:
            kind = picture.format
            width, height = picture.size
            if width * height > MAX_PIXELS:
                raise BadImage("The picture is too large: at most 4096 × 4096.", field="image")
            picture.verify()
    except BadImage:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise BadImage(field="image") from None
    if kind not in KINDS:
        raise BadImage(field="image")
    return KINDS[kind]


def store(data: bytes) -> str:
    """Check and keep an image; returns the path an item's `image` holds ("uploads/<name>").
    Written to a temporary file and renamed, so a reader never sees half a file. The file may
    stay if the item's change then fails: it is content-addressed, so it is only ever reused.
    Raises BadImage."""
    extension, _ = check(data)
    name = f"{hashlib.sha256(data).hexdigest()[:32]}.{extension}"
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return PREFIX + name


def path_of(name: str) -> tuple[Path, str]:
    """The file and MIME type of a stored image's name. Raises NotFound for any other name."""
    if not isinstance(name, str) or not NAME.match(name):
        raise NotFound()
    path = _folder() / name
    if not path.is_file():
        raise NotFound()
    mime = {ext: mime for ext, mime in KINDS.values()}[name.rsplit(".", 1)[1]]
    return path, mime
