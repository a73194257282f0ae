"""What users are told about images the shield could not check (core/shield/images.py).

A photo that holds a recovery phrase or key gets the same deletion and warning
as a text (the shield's own strings); these cover images that were not read.
"""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    "images.too_large": {
        "en": "This image is too large for me to check (at most {max_mb} MB and {max_mp} megapixels), so it was "
              "not passed on. Please send a smaller screenshot.",
        "zh": "这张图片太大，我无法检查（最多 {max_mb} MB、{max_mp} 百万像素），所以没有转发。请发送一张更小的截图。",
    },
    "images.unreadable": {
        "en": "I could not open this file as an image, so it was not passed on. Please send a PNG or JPEG screenshot.",
        "zh": "我无法把这个文件作为图片打开，所以没有转发。请发送 PNG 或 JPEG 格式的截图。",
    },
    "images.not_checked": {
        "en": "I could not check this image just now, so it was not passed on. Please try again in a minute.",
        "zh": "我暂时无法检查这张图片，所以没有转发。请稍后再试。",
    },
}
