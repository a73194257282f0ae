"""Image shield: OCR recall on generated photos of phrases, false positives on screenshots, speed, memory.

Every image is drawn here with Pillow (fonts found on the machine: DejaVu
Sans, Serif, Mono and Oblique for English, a CJK font such as WenQuanYi
Micro Hei for Chinese), then goes through the real :class:`ImageShield`
(the OCR worker process, one thread).

Phrase photos: English (12 and 24 words) and Chinese simplified (12
characters) phrases, valid checksums, as lines, numbered grids in row or
column order (3x4, 4x3, 4x6), unnumbered lines, glued words; on off-white
"paper", rotated up to 6 degrees, some blurred, some with noise, saved as
JPEG.  Screenshots: wallet screens with balances, explorer pages with tx
hashes and addresses, error dialogs, Chinese settings screens.

    .venv/bin/python benchmarks/image_shield_bench.py [--phrases 40] [--screens 16] [--seed 7]

Prints one JSON line: recall (phrases flagged), false positives
(screenshots flagged), p50/p99 seconds per image (after the worker has
started), the worker start-up time and the OCR process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import sys
import time
from pathlib import Path

from mnemonic import Mnemonic
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.shield.images import ImageShield  # noqa: E402

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_EN_FONTS = ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Oblique.ttf",
             "DejaVuSerif-Italic.ttf"]
_CJK_FONTS = [Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
              Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
              Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")]


def _en_fonts() -> list[str]:
    found = [str(_DEJAVU / f) for f in _EN_FONTS if (_DEJAVU / f).exists()]
    return found or [""]


def _cjk_font() -> str | None:
    return next((str(p) for p in _CJK_FONTS if p.exists()), None)


def _font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def _render(items: list[tuple[tuple[int, int], str]], size: tuple[int, int], font: str, font_size: int,
            rng: random.Random, *, photo: bool) -> bytes:
    paper = (rng.randint(235, 255), rng.randint(230, 252), rng.randint(215, 245)) if photo else (255, 255, 255)
    img = Image.new("RGB", size, paper)
    draw = ImageDraw.Draw(img)
    f = _font(font, font_size)
    ink = (rng.randint(0, 60), rng.randint(0, 60), rng.randint(20, 90)) if photo else (20, 20, 20)
    for xy, text in items:
        draw.text(xy, text, fill=ink, font=f)
    if photo:
        img = img.rotate(rng.uniform(-6, 6), resample=Image.BICUBIC, expand=True, fillcolor=paper)
        if rng.random() < 0.5:
            img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.2)))
        if rng.random() < 0.5:
            noise = Image.effect_noise(img.size, rng.uniform(10, 30)).convert("RGB")
            img = Image.blend(img, noise, 0.12)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=rng.randint(70, 92))
    return buf.getvalue()


def _phrase_image(rng: random.Random, k: int, cjk_font: str | None) -> tuple[str, bytes]:
    lang = "chinese_simplified" if cjk_font and k % 4 == 3 else "english"
    strength = 256 if lang == "english" and k % 5 == 4 else 128
    words = Mnemonic(lang).to_mnemonic(rng.randbytes(strength // 8)).split()
    n = len(words)
    layouts = ["lines", "grid_rows", "grid_cols", "plain_lines"] + (["glued"] if lang == "english" else [])
    layout = layouts[k % len(layouts)]
    font = cjk_font if lang != "english" else rng.choice(_en_fonts())
    fs = rng.randint(26, 34)
    items: list[tuple[tuple[int, int], str]] = []
    if layout in ("grid_rows", "grid_cols"):
        cols = rng.choice([3, 4]) if n == 12 else 4
        rows = n // cols
        cw = 270 if lang == "english" else 170
        for i, w in enumerate(words):
            r, c = (i // cols, i % cols) if layout == "grid_rows" else (i % rows, i // rows)
            items.append(((40 + c * cw, 40 + r * int(fs * 2.4)), f"{i + 1}. {w}"))
        size = (80 + cols * cw, 80 + rows * int(fs * 2.4))
    else:
        per = 3 if n == 12 else 4
        sep = "" if layout == "glued" else ("  " if lang != "english" else " ")
        for r in range(n // per):
            chunk = words[r * per:(r + 1) * per]
            text = sep.join(chunk) if layout != "lines" else "  ".join(f"{r * per + j + 1}.{w}" for j, w in enumerate(chunk))
            items.append(((40, 40 + r * int(fs * 2.2)), text))
        size = (80 + per * (fs * 8 if lang == "english" else fs * 4), 80 + (n // per) * int(fs * 2.2))
    return f"{lang[:2]}-{n}-{layout}", _render(items, size, font, fs, rng, photo=True)


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _screen_image(rng: random.Random, k: int, cjk_font: str | None) -> tuple[str, bytes]:
    kinds = ["wallet", "explorer", "error"] + (["zh_settings", "zh_wallet"] if cjk_font else [])
    kind = kinds[k % len(kinds)]
    if kind == "wallet":
        lines = ["My Wallet", "Total balance", f"{rng.randint(1, 9999):,}.{rng.randint(0, 99):02d} USDT",
                 "Send      Receive      Swap      Buy", "Recent activity",
                 f"Received {rng.randint(1, 50) / 10} ETH from 0x{_hex(rng, 40)}",
                 f"Sent {rng.randint(1, 900)} USDT to T{_hex(rng, 20).upper()}", "Network: Ethereum Mainnet"]
    elif kind == "explorer":
        lines = ["Transaction Details", "Transaction Hash:", f"0x{_hex(rng, 64)}",
                 f"Status: Success   Block: {rng.randint(10**7, 2 * 10**7)}   {rng.randint(1, 90)} Block Confirmations",
                 f"From: 0x{_hex(rng, 40)}", f"To: 0x{_hex(rng, 40)}",
                 f"Value: {rng.randint(1, 99) / 100} ETH   Transaction Fee: 0.000{rng.randint(100, 999)} ETH",
                 "Gas Price: 12.5 Gwei"]
    elif kind == "error":
        lines = ["Transaction failed", "Insufficient funds for gas * price + value.",
                 "Please check your balance and try again.", f"Error code: {rng.randint(1000, 9999)}",
                 "OK        Cancel"]
    elif kind == "zh_wallet":
        lines = ["我的钱包", "总资产", f"{rng.randint(1, 9999)}.{rng.randint(0, 99):02d} USDT", "转账    收款    兑换",
                 "交易记录", f"收到 {rng.randint(1, 50) / 10} ETH", "转出失败：手续费不足", "请检查余额后重试"]
    else:
        lines = ["设置", "语言：简体中文", "通知    已开启", "安全中心", "备份助记词", "修改密码",
                 "关于我们    版本 3.2.1", "退出登录"]
    font = cjk_font if kind.startswith("zh") else rng.choice(_en_fonts()[:3])
    fs = rng.randint(22, 28)
    items = [((30, 30 + i * int(fs * 2.1)), text) for i, text in enumerate(lines)]
    return kind, _render(items, (1100, 60 + len(lines) * int(fs * 2.1)), font, fs, rng, photo=False)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _run(args: argparse.Namespace) -> dict:
    rng = random.Random(args.seed)
    cjk = _cjk_font()
    phrases = [_phrase_image(rng, k, cjk) for k in range(args.phrases)]
    screens = [_screen_image(rng, k, cjk) for k in range(args.screens)]
    times: list[tuple[float, str]] = []
    missed: list[str] = []
    flagged: list[str] = []
    async with ImageShield(timeout=30.0) as shield:
        t0 = time.perf_counter()
        await shield.scan_image(screens[0][1])  # starts the worker and loads the models
        startup = time.perf_counter() - t0
        for want, batch in ((True, phrases), (False, screens)):
            for name, data in batch:
                t = time.perf_counter()
                verdict = await shield.scan_image(data)
                times.append((time.perf_counter() - t, name))
                if verdict.leak != want or not verdict.scanned:
                    (missed if want else flagged).append(f"{name}:{verdict.status}")
        rss = await shield.worker_peak_rss_kib()
    return {
        "benchmark": "image_shield",
        "phrase_images": len(phrases),
        "chinese_phrase_images": sum(1 for n, _ in phrases if n.startswith("ch")),
        "recall": round(1 - len(missed) / max(1, len(phrases)), 4),
        "missed": missed,
        "screenshots": len(screens),
        "false_positives": len(flagged),
        "flagged": flagged,
        "p50_s": round(_pct([t for t, _ in times], 0.5), 3),
        "p99_s": round(_pct([t for t, _ in times], 0.99), 3),
        "slowest": [f"{n}:{t:.2f}" for t, n in sorted(times, reverse=True)[:3]],
        "worker_startup_s": round(startup, 2),
        "ocr_worker_peak_rss_mb": round(rss / 1024, 1),
        "ocr_threads": 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrases", type=int, default=40)
    parser.add_argument("--screens", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    print(json.dumps(asyncio.run(_run(parser.parse_args())), ensure_ascii=False))


if __name__ == "__main__":
    main()
