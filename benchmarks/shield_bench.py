"""Shield benchmark: recall on generated secrets, false positives on non-secrets, speed.

Prints one JSON line per benchmark:

* ``shield_recall``           generated secrets of every kind / language / format
* ``shield_false_positives``  generated non-secrets (tx hashes with context, addresses,
                              English made of BIP-39 words, Chinese chat, numbers, emoji)
* ``shield_hardened_recall``  issue 15's classes: Unicode tricks, plate prefixes, near-phrases
                              (11 of 12, 23 of 24, Chinese with a character missing), split hex
                              keys, keys in URLs, key words beside tx words, phrases split over messages
* ``shield_hardened_false_positives``  tx hashes with context (and bare 0x hashes when one was
                              asked for), Chinese typed with spaces, 13-item shopping lists, short
                              everyday messages through the split-message window
* ``shield_real_chat_fp``     real customer-service questions from ../shared/data
                              (BANKING77 English, CIC Chinese) when that folder exists
* ``shield_latency``          per-message scan time for typical chat messages (µs)

Run: ``.venv/bin/python benchmarks/shield_bench.py [--seed 7] [--n 4000]``
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import statistics
import sys
import time
from pathlib import Path

from mnemonic import Mnemonic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.shield import PhraseWindow, RecentParts, scan, warm_up  # noqa: E402
from core.shield.gate import TextSource, guard  # noqa: E402

LANGS = ("english", "chinese_simplified", "chinese_traditional")
STRENGTHS = (128, 160, 192, 224, 256)
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
XPRV_VERSIONS = ("0488ade4", "049d7878", "04b2430c", "04358394", "044a4e28", "045f18bc")
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

STYLES = ("plain", "numbered_dot", "numbered_paren", "hash", "commas", "newlines", "upper",
          "capitalised", "nospace")
WRAPS = (
    "{}",
    "here is my phrase: {} please help",
    "Hi, my wallet is empty after restoring with\n{}\nwhat happened?",
    "我的助记词是{}请帮忙看看",
    "救命！{}，钱不见了",
)
EN_WORDS = Mnemonic("english").wordlist
ZH_COMMON = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农"


def b58check(payload: bytes) -> str:
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def fmt(words: list[str], style: str, lang: str) -> str:
    if style == "plain":
        return " ".join(words)
    if style == "numbered_dot":
        return " ".join(f"{i}. {w}" for i, w in enumerate(words, 1))
    if style == "numbered_paren":
        return "\n".join(f"{i}) {w}" for i, w in enumerate(words, 1))
    if style == "hash":
        return " ".join(f"#{i} {w}" for i, w in enumerate(words, 1))
    if style == "commas":
        return ",".join(words)
    if style == "newlines":
        return "\n".join(words)
    if style == "upper":
        return " ".join(w.upper() for w in words)
    if style == "capitalised":
        return "  ".join(w.capitalize() for w in words)
    if style == "nospace":
        return "".join(words) if lang != "english" else " ".join(words)
    raise ValueError(style)


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    op = rng.choice(("drop", "swap", "sub"))
    if op == "drop" and len(word) > 4:
        return word[:i] + word[i + 1 :]
    if op == "swap" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[i + 1 :]


def gen_secrets(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    """(category, text, expected kind) triples."""
    mn = {lang: Mnemonic(lang) for lang in LANGS}
    out: list[tuple[str, str, str]] = []
    for i in range(n):
        lang = LANGS[i % 3]
        strength = STRENGTHS[(i // 3) % 5]
        words = mn[lang].to_mnemonic(rng.randbytes(strength // 8)).split()
        style = rng.choice(STYLES)
        out.append((f"phrase/{lang}", rng.choice(WRAPS).format(fmt(words, style, lang)), "seed_phrase"))
    for _ in range(n // 4):  # English phrase with one mistyped word (checksum broken)
        words = mn["english"].to_mnemonic(rng.randbytes(rng.choice(STRENGTHS) // 8)).split()
        j = rng.randrange(len(words))
        words[j] = typo(words[j], rng)
        text = rng.choice(WRAPS[:3]).format(fmt(words, rng.choice(STYLES[:-1]), "english"))
        out.append(("phrase/english_typo", text, "seed_phrase"))
    key_wraps = ("{}", "my private key is {}", "私钥：{}", "pk={}", "help me, imported {} and funds gone")
    for _ in range(n // 2):
        key = rng.randbytes(32)
        h = key.hex().upper() if rng.random() < 0.2 else key.hex()
        out.append(("private_key_hex", rng.choice(key_wraps).format(rng.choice(("", "0x")) + h), "private_key_hex"))
    for _ in range(n // 2):
        key = rng.randbytes(32)
        comp, test = rng.random() < 0.5, rng.random() < 0.3
        wif = b58check(bytes([0xEF if test else 0x80]) + key + (b"\x01" if comp else b""))
        out.append(("wif", rng.choice(key_wraps).format(wif), "wif"))
    for _ in range(n // 2):
        payload = bytes.fromhex(rng.choice(XPRV_VERSIONS)) + rng.randbytes(9) + rng.randbytes(32) + b"\0" + rng.randbytes(32)
        out.append(("xprv", rng.choice(key_wraps).format(b58check(payload)), "xprv"))
    return out


TX_CONTEXTS = (
    "https://etherscan.io/tx/0x{}", "https://bscscan.com/tx/0x{}", "https://tronscan.org/#/transaction/{}",
    "https://blockchair.com/bitcoin/transaction/{}", "https://mempool.space/tx/{}", "polygonscan.com/tx/0x{}",
    "tx 0x{}", "txid: {}", "TXID {}", "tx hash 0x{}", "transaction hash: 0x{}", "hash: {}",
    "交易哈希：0x{}", "哈希 {}", "交易ID：{}", "我转了币但是没到账，交易哈希是0x{}，帮忙查一下",
    "0x{} is my tx hash", "check this tx https://etherscan.io/tx/0x{} thanks",
)
EN_SENTENCES = (
    "Hi, I sent {n} USDT to my wallet two hours ago and it has not arrived yet",
    "Why is the gas fee so high today? I only want to swap {n} tokens",
    "Thank you so much for the help, you guys are great!",
    "My balance shows zero after the update, can you check please?",
    "I think someone stole my funds, what should I do now?",
    "Is there a way to cancel a pending transaction on Ethereum?",
    "Please help, what can you say about this token account balance now",
    "where can I find my recovery phrase in the app settings?",
    "Never share your seed phrase with anyone, the staff will never ask you for it.",
    "The app keeps crashing when I open the swap page on Android {n}",
    "I want to buy a coffee and then walk around the city",
    "Hello? Anyone here? I need help with my account, it is frozen since Monday",
)
ZH_SENTENCES = (
    "你好，我转了{n}个USDT到钱包，两个小时了还没有到账",
    "为什么今天的手续费这么高？我只是想换一点币",
    "我的钱包里面的币不见了怎么办，请帮我看一下是不是被盗了，谢谢",
    "客服你好我想问一下我的账户被冻结了要怎么才能解冻我已经等了三天了",
    "永远不要把助记词或者私钥告诉任何人，工作人员也不会主动私信你",
    "升级以后余额显示为零，请问是什么原因，怎么处理",
    "你們什麼時候上班啊？週末有人處理問題嗎？我這邊很著急",
    "今天天气很好我们一起去公园玩然后回家吃饭看电视睡觉",
)


def gen_non_secrets(rng: random.Random, n: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for _ in range(n // 4):
        out.append(("tx_hash_context", rng.choice(TX_CONTEXTS).format(rng.randbytes(32).hex())))
    for _ in range(n // 8):
        out.append(("eth_address", f"my address is 0x{rng.randbytes(20).hex()} nothing arrived"))
        bech = "bc1q" + "".join(rng.choice(BECH32) for _ in range(38))
        tron = "T" + "".join(rng.choice(B58) for _ in range(33))
        out.append(("btc_tron_address", f"send to {bech} or {tron} please"))
    for _ in range(n // 4):
        k = rng.randint(3, 10)  # 11 random list words are a phrase with one word missing
        out.append(("en_bip39_words_3_10", " ".join(rng.choice(EN_WORDS) for _ in range(k))))
    fillers = ("the", "a", "to", "is", "my", "and", "I", "of", "in", "it", "on", "for")
    for _ in range(n // 8):
        parts = []
        for _ in range(rng.randint(2, 6)):
            parts += [rng.choice(EN_WORDS) for _ in range(rng.randint(1, 10))] + [rng.choice(fillers)]
        out.append(("en_bip39_with_function_words", " ".join(parts)))
    for _ in range(n // 8):
        out.append(("en_sentences", rng.choice(EN_SENTENCES).format(n=rng.randint(1, 5000))))
        out.append(("zh_sentences", rng.choice(ZH_SENTENCES).format(n=rng.randint(1, 5000))))
    for _ in range(n // 8):
        out.append(("zh_common_chars", "".join(rng.choice(ZH_COMMON[:120]) for _ in range(rng.randint(12, 40)))))
    for _ in range(n // 16):
        out.append(("numbers_emoji", f"{rng.randint(0, 10**30)} {'🚀' * rng.randint(0, 20)} {rng.random()}"))
    out.append(("empty", ""))
    return out


CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
ACCENTS = {"a": "á", "e": "é", "o": "ö", "u": "ü", "i": "í", "n": "ñ"}
GROCERIES = ("milk bread butter cheese apple banana rice tomato onion garlic chicken sugar salt coffee orange lemon"
             " potato bacon salad cereal soap juice honey pepper olive beef fish shrimp cabbage corn bean grape cherry"
             " pear mango kiwi avocado broccoli mushroom tissue water wine soda cake napkin razor").split()


def _one_per_word(words: list[str], table: dict[str, str]) -> str:
    out = []
    for w in words:
        i = next((i for i, c in enumerate(w) if c in table), None)
        out.append(w if i is None else w[:i] + table[w[i]] + w[i + 1:])
    return " ".join(out)


def _bold(word: str) -> str:
    return "".join(chr(0x1D41A + ord(c) - 97) if "a" <= c <= "z" else c for c in word)


UNICODE_DRESS = {
    "full_width": lambda ws: " ".join("".join(chr(ord(c) + 0xFEE0) for c in w) for w in ws),
    "soft_hyphen": lambda ws: " ".join(w[:2] + "\u00ad" + w[2:] for w in ws),
    "zwj": lambda ws: " ".join(w[:1] + "\u200d" + w[1:] for w in ws),
    "zwnj_zwsp": lambda ws: " ".join(w[:1] + "\u200c" + w[1:2] + "\u200b" + w[2:] for w in ws),
    "cyrillic_letter": lambda ws: _one_per_word(ws, CYRILLIC),
    "accented_letter": lambda ws: _one_per_word(ws, ACCENTS),
    "math_bold": lambda ws: " ".join(_bold(w) for w in ws),
}


def gen_hardened_secrets(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    """Issue 15 classes: Unicode tricks, plate prefixes, near-phrases, key evasions."""
    mn = {lang: Mnemonic(lang) for lang in LANGS}
    out: list[tuple[str, str, str]] = []

    def phrase(lang: str = "english", strength: int | None = None) -> list[str]:
        return mn[lang].to_mnemonic(rng.randbytes((strength or rng.choice(STRENGTHS)) // 8)).split()

    for name, dress in UNICODE_DRESS.items():
        for _ in range(n // 8):
            out.append((f"unicode/{name}", rng.choice(WRAPS[:3]).format(dress(phrase())), "seed_phrase"))
    for _ in range(n // 8):
        key = "0x" + rng.randbytes(32).hex()
        out.append(("unicode/full_width_key", "".join(chr(ord(c) + 0xFEE0) for c in key), "private_key_hex"))
    for _ in range(n // 4):
        words = phrase(strength=rng.choice((128, 256)))
        if rng.random() < 0.3:
            del words[rng.randrange(len(words))]
        sep = rng.choice((" ", "\n", ", ", "  "))
        text = sep.join(w[:4].upper() if rng.random() < 0.3 else w[:4] for w in words)
        out.append(("prefixes/plate_4_letters", text, "seed_phrase"))
    for strength, name in ((128, "near/en_11_of_12"), (256, "near/en_23_of_24")):
        for _ in range(n // 4):
            words = phrase(strength=strength)
            del words[rng.randrange(len(words))]
            out.append((name, rng.choice(WRAPS[:3]).format(fmt(words, rng.choice(STYLES[:-1]), "english")),
                        "seed_phrase"))
    for lang in LANGS[1:]:
        for _ in range(n // 4):
            chars = phrase(lang, 128)
            del chars[rng.randrange(len(chars))]
            sep = rng.choice(("、", "\n", ",", " ", "  "))
            out.append((f"near/zh_11_of_12_separated/{lang[8:]}", sep.join(chars), "seed_phrase"))
    for _ in range(n // 4):
        key = rng.randbytes(32).hex()
        cut = rng.randrange(8, 57)
        sep = rng.choice((" ", "\n", "  ", "\r\n"))
        wrap = rng.choice(("{}", "here: {}", "my key {}", "imported {} and funds gone"))
        out.append(("keys/split_hex", wrap.format(rng.choice(("", "0x")) + key[:cut] + sep + key[cut:]),
                    "private_key_hex"))
    url_wraps = ("https://metamask-restore.example/?pk={}", "https://wallet-sync.example/restore?chain=1&key=0x{}",
                 "https://wallet-sync.example/0x{}", "metamask-restore.example/import/{}",
                 "https://etherscan.io.evil.example/tx/0x{}", "please open https://dapp.example/#/claim?secret={}",
                 "https://etherscan.io/tx/0x{}?pk=0x{}")
    for _ in range(n // 4):
        out.append(("keys/in_url", rng.choice(url_wraps).format(rng.randbytes(32).hex(), rng.randbytes(32).hex()),
                    "private_key_hex"))
    key_word_wraps = ("my key (not a hash) 0x{}", "my key (not a hash) {}", "private key, hash: 0x{}",
                      "tx hash 0x{} and that is my privkey", "这是我的私钥，交易哈希 0x{}", "secret 0x{} pending")
    for _ in range(n // 4):
        out.append(("keys/key_words_win", rng.choice(key_word_wraps).format(rng.randbytes(32).hex()),
                    "private_key_hex"))
    return out


def gen_split_messages(rng: random.Random, n: int) -> list[list[str]]:
    """A 12- or 24-word phrase sent as 2-12 messages, each clean on its own."""
    mn = Mnemonic("english")
    out: list[list[str]] = []
    for _ in range(n):
        words = mn.to_mnemonic(rng.randbytes(rng.choice((16, 32)))).split()
        cuts = sorted(rng.sample(range(1, len(words)), rng.randint(1, min(11, len(words) - 1))))
        parts = [words[a:b] for a, b in zip([0, *cuts], [*cuts, len(words)])]
        sep = rng.choice((" ", "\n", ", "))
        out.append([sep.join(p) for p in parts])
    return out


HARD_TX = ("0x{} is stuck pending", "0x{}\nstill pending after an hour", "why does 0x{} have 0 confirmations",
           "block {}", "block 0x{}", "stuck: 0x{}", "我的交易 0x{} 一直没到", "哈希是 0x{}",
           "https://sepolia.etherscan.io/tx/0x{}", "https://basescan.org/tx/0x{}", "0x{} unconfirmed since noon")


def gen_hardened_non_secrets(rng: random.Random, n: int) -> list[tuple[str, str, bool]]:
    """(category, text, expect_tx_hash) of ordinary chat that the former rules deleted."""
    out: list[tuple[str, str, bool]] = []
    for _ in range(n // 4):
        out.append(("tx_hash_with_context", rng.choice(HARD_TX).format(rng.randbytes(32).hex()), False))
        out.append(("bare_0x_tx_hash_when_asked", "0x" + rng.randbytes(32).hex(), True))
    for _ in range(n // 8):
        sentence = rng.choice(ZH_SENTENCES).format(n=rng.randint(1, 5000))
        out.append(("zh_typed_with_spaces", " ".join(sentence), False))
    for _ in range(n // 8):
        items = rng.sample(GROCERIES, 13)
        out.append(("shopping_list_13", rng.choice((", ", "\n", "; ")).join(items), False))
    for _ in range(n // 8):
        k = rng.randint(3, 10)
        out.append(("en_list_words_unicode_3_10",
                    " ".join("".join(chr(ord(c) + 0xFEE0) for c in rng.choice(EN_WORDS)) for _ in range(k)), False))
    return out


def real_chat() -> dict[str, list[str]]:
    sets: dict[str, list[str]] = {}
    for name, files in (("banking77_en", ["banking77/train.csv"]), ("cic_zh", ["cic/train.csv", "cic/dev.csv"])):
        rows: list[str] = []
        for f in files:
            p = DATA / f
            if p.exists():
                with p.open(encoding="utf-8") as fh:
                    rows += [r["text"] for r in csv.DictReader(fh)]
        if rows:
            sets[name] = rows
    return sets


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--n", type=int, default=4000, help="base sample count")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    warm_up()

    secrets_set = gen_secrets(rng, args.n)
    per_cat: dict[str, list[int]] = {}
    for cat, text, kind in secrets_set:
        res = scan(text)
        ok = res.leak and kind in res.kinds
        per_cat.setdefault(cat, [0, 0])
        per_cat[cat][0] += ok
        per_cat[cat][1] += 1
    hits = sum(v[0] for v in per_cat.values())
    print(json.dumps({
        "benchmark": "shield_recall", "seed": args.seed, "n": len(secrets_set),
        "recall": round(hits / len(secrets_set), 6),
        "by_category": {k: round(v[0] / v[1], 6) for k, v in sorted(per_cat.items())},
        "missed": len(secrets_set) - hits,
    }, ensure_ascii=False))

    non = gen_non_secrets(rng, args.n)
    fp_cat: dict[str, list[int]] = {}
    for cat, text in non:
        fp_cat.setdefault(cat, [0, 0])
        fp_cat[cat][0] += scan(text).leak
        fp_cat[cat][1] += 1
    fps = sum(v[0] for v in fp_cat.values())
    print(json.dumps({
        "benchmark": "shield_false_positives", "seed": args.seed, "n": len(non),
        "false_positive_rate": round(fps / len(non), 6), "false_positives": fps,
        "by_category": {k: v[0] for k, v in sorted(fp_cat.items())},
    }, ensure_ascii=False))

    hard = gen_hardened_secrets(rng, args.n // 4)
    hard_cat: dict[str, list[int]] = {}
    for cat, text, kind in hard:
        res = scan(text)
        hard_cat.setdefault(cat, [0, 0])
        hard_cat[cat][0] += res.leak and kind in res.kinds
        hard_cat[cat][1] += 1
    window = PhraseWindow(seconds=180)
    split = gen_split_messages(rng, args.n // 4)
    caught = named = 0
    for i, parts in enumerate(split):
        verdicts = [guard(p, TextSource.MESSAGE, recent=RecentParts(window, f"u{i}", "chat", f"m{j}"))
                    for j, p in enumerate(parts)]
        hit = next((j for j, v in enumerate(verdicts) if v.leak), None)
        caught += hit is not None
        # every earlier part is named for deletion (the part that leaked on its own needs nothing)
        named += hit is not None and (hit == 0 and not verdicts[0].earlier_parts
                                      or set(verdicts[hit].earlier_parts) == {f"m{j}" for j in range(hit)})
    hard_cat["split_messages"] = [caught, len(split)]
    hard_cat["split_messages_earlier_parts_named"] = [named, len(split)]
    hits = sum(v[0] for v in hard_cat.values())
    total = sum(v[1] for v in hard_cat.values())
    print(json.dumps({
        "benchmark": "shield_hardened_recall", "seed": args.seed, "n": total, "recall": round(hits / total, 6),
        "missed": total - hits, "by_category": {k: round(v[0] / v[1], 6) for k, v in sorted(hard_cat.items())},
    }, ensure_ascii=False))

    hard_non = gen_hardened_non_secrets(rng, args.n // 2)
    hfp: dict[str, list[int]] = {}
    for cat, text, expect in hard_non:
        hfp.setdefault(cat, [0, 0])
        hfp[cat][0] += guard(text, TextSource.MESSAGE, expect_tx_hash=expect).leak
        hfp[cat][1] += 1
    # short chat messages of everyday list words, one user, one chat, within the window
    window = PhraseWindow(seconds=180)
    everyday = sorted(w for w in EN_WORDS if w in {"help", "please", "account", "wallet", "balance", "sorry",
                                                    "thank", "today", "again", "still", "never", "again", "about",
                                                    "money", "send", "good", "great", "sure", "open", "later"})
    chats = 0
    for i in range(args.n // 8):
        chats += any(guard(" ".join(rng.sample(everyday, rng.randint(1, 3))), TextSource.MESSAGE,
                           recent=RecentParts(window, f"u{i}", "chat", f"m{j}")).leak for j in range(8))
    hfp["split_window_everyday_chat"] = [chats, args.n // 8]
    print(json.dumps({
        "benchmark": "shield_hardened_false_positives", "seed": args.seed, "n": sum(v[1] for v in hfp.values()),
        "false_positives": sum(v[0] for v in hfp.values()), "by_category": {k: v[0] for k, v in sorted(hfp.items())},
    }, ensure_ascii=False))

    real = real_chat()
    if real:
        out = {"benchmark": "shield_real_chat_fp"}
        for name, rows in real.items():
            flagged = sum(scan(t).leak for t in rows)
            out[name] = {"n": len(rows), "false_positives": flagged, "rate": round(flagged / len(rows), 6)}
        if "cic_zh" in real:  # the same questions typed with a space between characters (harder than chat)
            spaced = [" ".join(t) for t in real["cic_zh"]]
            flagged = sum(scan(t).leak for t in spaced)
            out["cic_zh_spaced"] = {"n": len(spaced), "false_positives": flagged,
                                    "rate": round(flagged / len(spaced), 6)}
        print(json.dumps(out, ensure_ascii=False))

    # Typical chat: realistic sentences (+ real data when present), no secrets.
    typical = [t for c, t in non if c in ("en_sentences", "zh_sentences", "tx_hash_context", "eth_address")]
    for rows in real.values():
        typical += rng.sample(rows, min(2000, len(rows)))
    rng.shuffle(typical)
    for t in typical[:200]:
        scan(t)  # warm-up
    times: list[float] = []
    for t in typical:
        t0 = time.perf_counter_ns()
        scan(t)
        times.append((time.perf_counter_ns() - t0) / 1000)
    times.sort()
    secret_times: list[float] = []
    for _, t, _ in secrets_set[:2000]:
        t0 = time.perf_counter_ns()
        scan(t)
        secret_times.append((time.perf_counter_ns() - t0) / 1000)
    secret_times.sort()

    def q(xs: list[float], p: float) -> float:
        return round(xs[min(len(xs) - 1, int(p * len(xs)))], 1)

    print(json.dumps({
        "benchmark": "shield_latency", "n": len(times),
        "p50_us": q(times, 0.5), "p99_us": q(times, 0.99), "max_us": round(times[-1], 1),
        "mean_us": round(statistics.fmean(times), 1),
        "secret_messages_p50_us": q(secret_times, 0.5), "secret_messages_p99_us": q(secret_times, 0.99),
    }))


if __name__ == "__main__":
    main()
