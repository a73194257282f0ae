"""What runs inside the OCR worker process: decode one image, read its text.

This module is imported by the worker process only (a ``spawn``-started child
of :class:`core.shield.images.ImageShield`); the main process never imports
it, so onnxruntime, OpenCV and the OCR models (about 600 MB resident) never
count against ``walletdesk run``'s memory.  The engine is RapidOCR
(``rapidocr-onnxruntime``, PP-OCRv4 models shipped inside the wheel: nothing
is downloaded at run time), built once per worker on the first image and
kept for the next.

Everything here is synchronous and plain data goes in and out (bytes in,
tuples out), so it pickles across the process boundary.
"""

from __future__ import annotations

import io
import logging
import os
import resource
from typing import Any

__all__ = ["OcrLine", "OcrReply", "peak_rss_kib", "read_image"]

_LOGGER = logging.getLogger(__name__)

#: One text line: (x0, y0, x1, y1) of its box in the image as given, the text, the confidence.
OcrLine = tuple[tuple[float, float, float, float], str, float]
#: What :func:`read_image` returns: ("ok", lines) or (reason, ()) with reason
#: "undecodable" (not an image Pillow reads) or "too_large" (over the pixel limit).
OcrReply = tuple[str, tuple[OcrLine, ...]]

# The detector works on at most this many pixels on the long side (Telegram
# sends photos at 1280 at most; phone text stays legible at 960).
_DET_SIDE = 960
# Images larger than this on the long side are scaled down before OCR.
_MAX_SIDE = 2000

_ENGINE: Any = None


def _engine() -> Any:
    global _ENGINE
    if _ENGINE is None:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from rapidocr_onnxruntime import RapidOCR  # heavy: only ever in the worker

        # One thread: the worker is one core's worth of work (and faster so on two cores).
        _ENGINE = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1,
                           det_limit_type="max", det_limit_side_len=_DET_SIDE)
    return _ENGINE


def read_image(data: bytes, max_pixels: int) -> OcrReply:
    """Decode ``data`` and return its text lines with their boxes.

    ``max_pixels``: an image with more pixels (width x height, read from the
    header before anything is decoded) is refused as "too_large", so a
    decompression bomb costs nothing.
    """
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > max_pixels:
                return "too_large", ()
            img.draft("RGB", (_MAX_SIDE, _MAX_SIDE))  # JPEG: decode at reduced size
            img = ImageOps.exif_transpose(img).convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return "undecodable", ()
    scale = 1.0
    if max(img.size) > _MAX_SIDE:
        scale = max(img.size) / _MAX_SIDE
        img = img.resize((round(img.width / scale), round(img.height / scale)))
    import numpy as np

    array = np.asarray(img)[:, :, ::-1].copy()  # RGB -> BGR, the engine's order
    result, _ = _engine()(array)
    lines: list[OcrLine] = []
    for box, text, score in result or ():
        xs = [p[0] * scale for p in box]
        ys = [p[1] * scale for p in box]
        lines.append(((min(xs), min(ys), max(xs), max(ys)), str(text), float(score)))
    return "ok", tuple(lines)


def peak_rss_kib() -> int:
    """This worker's peak resident memory so far, in KiB (for the benchmark)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
