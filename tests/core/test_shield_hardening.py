"""Issue 15 (shield side) and issue 14 item 7: what careless users and attackers actually send.

Each test names the item it pins; each failed on the code before its fix.
"""

from __future__ import annotations

import logging
import random
import re
import secrets

import pytest
from mnemonic import Mnemonic

from core.identity.roster import StaffRoster, skeleton
from core.shield import KIND_PRIVATE_KEY_HEX, KIND_SEED_PHRASE, MARKERS, scan
from core.shield.gate import TextSource, guard

EN = Mnemonic("english")
ZH = Mnemonic("chinese_simplified")
CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
ACCENTS = {"a": "á", "e": "é", "o": "ö", "u": "ü", "i": "í", "n": "ñ"}


def _phrase(strength: int = 128, mnemo: Mnemonic = EN) -> list[str]:
    return mnemo.generate(strength).split()


def _one_per_word(words: list[str], table: dict[str, str]) -> str:
    out = []
    for w in words:
        i = next((i for i, c in enumerate(w) if c in table), None)
        out.append(w if i is None else w[:i] + table[w[i]] + w[i + 1:])
    return " ".join(out)


def _leaks(text: str, kind: str = KIND_SEED_PHRASE) -> None:
    res = scan(text)
    assert res.leak and kind in res.kinds, (text, res)
    assert MARKERS[kind] in res.redacted


def _clean(text: str) -> None:
    res = scan(text)
    assert not res.leak, (text, res)


# ------------------------------------------------------- 3: Unicode normalisation


@pytest.mark.parametrize("dress", [
    pytest.param(lambda ws: " ".join("".join(chr(ord(c) + 0xFEE0) for c in w) for w in ws), id="full-width"),
    pytest.param(lambda ws: " ".join(w[:2] + "\u00ad" + w[2:] for w in ws), id="soft-hyphen"),
    pytest.param(lambda ws: " ".join(w[:1] + "\u200d" + w[1:] for w in ws), id="zwj"),
    pytest.param(lambda ws: " ".join(w[:1] + "\u200c" + w[1:] for w in ws), id="zwnj"),
    pytest.param(lambda ws: " ".join(w[:1] + "\u200b" + w[1:] for w in ws), id="zero-width-space"),
    pytest.param(lambda ws: _one_per_word(ws, CYRILLIC), id="cyrillic-letter"),
    pytest.param(lambda ws: _one_per_word(ws, ACCENTS), id="accented-letter"),
    pytest.param(lambda ws: "\n".join(f"{i}．{w}" for i, w in enumerate(ws, 1)), id="full-width-numbering"),
])
def test_unicode_dressed_phrases_are_found(dress) -> None:
    for _ in range(10):
        words = _phrase()
        text = "my backup: " + dress(words) + " thanks"
        res = scan(text)
        assert res.leak and res.kinds == (KIND_SEED_PHRASE,), text
        # the original characters of the phrase are gone, the chat around it stays
        assert res.redacted.startswith("my backup: ") and res.redacted.endswith(" thanks")
        assert dress(words)[:12] not in res.redacted


def test_unicode_dressed_hex_key_is_found() -> None:
    key = secrets.token_hex(32)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "0x" + key)
    _leaks("私钥 " + full_width, KIND_PRIVATE_KEY_HEX)
    _leaks("0x" + key[:20] + "\u200b" + key[20:], KIND_PRIVATE_KEY_HEX)


def test_lone_surrogate_leaves_the_gate_encodable() -> None:
    guarded = guard("how do I \ud800 reset my password", TextSource.MESSAGE)
    guarded.text.encode("utf-8")  # raised UnicodeEncodeError before: the FAQ engine raised TypeError
    assert "\ufffd" in guarded.text


def test_lone_surrogate_does_not_break_the_faq_engine(faq_engine) -> None:
    text = guard("how do I reset my password \udc00", TextSource.MESSAGE).text
    faq_engine.ask(text)  # TypeError from the tokenizer before


# ------------------------------------------------------- 9: impersonation skeleton


ROSTER = StaffRoster(["slack:U1=Alice Chen", "slack:U2=Bo"])


@pytest.mark.parametrize("name", ["𝐀𝐥𝐢𝐜𝐞 𝐂𝐡𝐞𝐧", "ᴀʟɪᴄᴇ ᴄʜᴇɴ", "Ａｌｉｃｅ Ｃｈｅｎ", "Аlісе Chen", "Ali\u200dce Chen"])
def test_lookalike_staff_names_are_impostors(name: str) -> None:
    assert skeleton(name) == skeleton("Alice Chen")
    assert ROSTER.check(name, "telegram:999") == "impostor"


@pytest.mark.parametrize("name", ["Bo Support", "Support_Bo", "Official Bo", "客服 Bo", "Bo | Admin"])
def test_short_staff_name_dressed_with_a_role_is_an_impostor(name: str) -> None:
    assert ROSTER.check(name, "telegram:999") == "impostor"


@pytest.mark.parametrize("name", ["Bo Chen", "Bob", "Bonnie", "Robo"])
def test_other_names_with_a_short_staff_name_inside_are_not(name: str) -> None:
    assert ROSTER.check(name, "telegram:999") == "unknown"


# ------------------------------------------------------- 11: key evasions


@pytest.mark.parametrize("sep", [" ", "\n", "  ", " \n", "\r\n"])
def test_hex_key_split_by_whitespace_is_a_key(sep: str) -> None:
    for cut in (8, 20, 32, 45, 56):
        key = secrets.token_hex(32)
        _leaks(f"here {key[:cut]}{sep}{key[cut:]} ok", KIND_PRIVATE_KEY_HEX)
        res = scan(f"0x{key[:cut]}{sep}{key[cut:]}")
        assert key[:cut] not in res.redacted and key[cut:] not in res.redacted


def test_hex_key_in_four_pieces_is_a_key() -> None:
    key = secrets.token_hex(32)
    _leaks(" ".join(key[i:i + 16] for i in range(0, 64, 16)), KIND_PRIVATE_KEY_HEX)


@pytest.mark.parametrize("url", [
    "https://metamask-restore.example/?pk={}",
    "https://metamask-restore.example/restore?chain=1&key=0x{}",
    "https://wallet-sync.example/0x{}",
    "metamask-restore.example/import/{}",
    "https://etherscan.io.evil.example/tx/0x{}",
    "https://evil.example/etherscan.io/tx/0x{}",
])
def test_key_in_a_url_that_is_not_an_explorer_tx_link(url: str) -> None:
    key = secrets.token_hex(32)
    res = scan(url.format(key))
    assert res.kinds == (KIND_PRIVATE_KEY_HEX,) and key not in res.redacted, url


def test_explorer_link_keeps_its_hash_but_not_a_key_in_its_query() -> None:
    tx, key = secrets.token_hex(32), secrets.token_hex(32)
    res = scan(f"https://etherscan.io/tx/0x{tx}?pk={key}")
    assert res.kinds == (KIND_PRIVATE_KEY_HEX,) and tx in res.redacted and key not in res.redacted


def test_key_in_a_query_parameter_is_always_redacted() -> None:
    key = secrets.token_hex(32)
    res = scan(f"please visit https://metamask-restore.example/?pk={key} to sync, my tx is stuck")
    assert res.kinds == (KIND_PRIVATE_KEY_HEX,) and key not in res.redacted


@pytest.mark.parametrize("text", [
    "my key (not a hash) 0x{}",
    "my key (not a hash) {}",
    "private key, hash: 0x{}",
    "tx hash 0x{} and that is my privkey",
    "这是我的私钥，交易哈希 0x{}",
    "secret 0x{} pending",
])
def test_key_words_in_the_message_win(text: str) -> None:
    _leaks(text.format(secrets.token_hex(32)), KIND_PRIVATE_KEY_HEX)


# ------------------------------------------------------- 14.7: the tx-hash rule


@pytest.mark.parametrize("text", [
    "0x{} is stuck pending",
    "0x{}\nstill pending after an hour",
    "why does 0x{} have 0 confirmations",
    "block {}",
    "block 0x{}",
    "stuck: 0x{}",
    "我的交易 0x{} 一直没到",
    "哈希是 0x{}",
    "https://etherscan.io/tx/0x{}",
    "https://sepolia.etherscan.io/tx/0x{}",
    "https://tronscan.org/#/transaction/{}",
])
def test_tx_hash_with_context_is_not_a_leak(text: str) -> None:
    for _ in range(5):
        _clean(text.format(secrets.token_hex(32)))


def test_bare_0x_hash_is_a_tx_hash_when_one_was_asked_for() -> None:
    text = "0x" + secrets.token_hex(32)
    assert guard(text, TextSource.MESSAGE).leak  # nothing says it is a hash: a key
    assert not guard(text, TextSource.MESSAGE, expect_tx_hash=True).leak
    # ... unless the message names a key
    assert guard("my private key " + text, TextSource.MESSAGE, expect_tx_hash=True).leak
    # a bare non-0x 64-hex is how wallets export keys: the expectation does not cover it
    assert guard(secrets.token_hex(32), TextSource.MESSAGE, expect_tx_hash=True).leak


def test_bitcoin_block_hash_is_not_a_key() -> None:
    _clean("00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054")


# ------------------------------------------------------- 2: prefixes and near-phrases


def test_metal_plate_prefixes_are_a_phrase() -> None:
    _leaks("lift vide hurd brot oil zoo diam ente catc cott wond pepp")  # the example
    for strength in (128, 256):
        for _ in range(20):
            words = _phrase(strength)
            _leaks("my plate: " + " ".join(w[:4] for w in words))
            _leaks(" ".join(w[:4].upper() for w in words[:11]))  # and one missing


@pytest.mark.parametrize("strength, keep", [(128, 11), (256, 23)])
def test_phrase_with_one_word_missing_is_a_phrase(strength: int, keep: int) -> None:
    rng = random.Random(strength)
    for _ in range(30):
        words = _phrase(strength)
        del words[rng.randrange(len(words))]
        assert len(words) == keep
        _leaks(" ".join(words))
        _leaks("\n".join(words))


@pytest.mark.parametrize("mnemo", [ZH, Mnemonic("chinese_traditional")], ids=["simplified", "traditional"])
def test_chinese_phrase_with_one_character_missing_is_a_phrase(mnemo: Mnemonic) -> None:
    for _ in range(30):
        chars = _phrase(128, mnemo)[:11]
        _leaks("、".join(chars))
        _leaks("\n".join(chars))
    # spaced: judged by the prose model, so a fixed sample (random phrases read
    # as prose about 1 time in 3,000: see benchmarks/README.md)
    rng = random.Random(5)
    for _ in range(30):
        _leaks(" ".join(rng.sample(mnemo.wordlist, 11)))


def test_ten_random_list_words_are_still_chat() -> None:
    rng = random.Random(10)
    for _ in range(200):
        _clean(" ".join(rng.sample(EN.wordlist, 10)))


# ------------------------------------------------------- 16: false positives


@pytest.mark.parametrize("text", [
    "onion, avocado, apple, potato, tomato, grape, cabbage, bean, olive, coffee, rice, water, bread",
    "shopping:\nmilk\nbread\nbutter\ncheese\napple\nbanana\nrice\ntomato\nonion\ngarlic\nchicken\nsugar\nsalt",
])
def test_thirteen_item_shopping_list_is_not_a_phrase(text: str) -> None:
    _clean(text)


@pytest.mark.parametrize("text", [
    "我 的 钱 包 转 账 一 直 没 有 到 账 怎 么 办",
    "请 问 我 的 账 户 为 什 么 被 冻 结 了 呢",
    "你 好 ， 我 想 问 一 下 这 个 币 什 么 时 候 能 到 账",
    "为 什 么 我 的 余 额 显 示 是 零 ， 昨 天 还 有 钱",
])
def test_chinese_typed_with_spaces_is_not_a_phrase(text: str) -> None:
    _clean(text)


# ------------------------------------------------------- 2: phrases split over messages


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _send(window, text: str, mid: str, user: str = "telegram:1", chat: str = "telegram:-100"):
    from core.shield.gate import RecentParts

    return guard(text, TextSource.MESSAGE, recent=RecentParts(window, user, chat, mid))


@pytest.mark.parametrize("sizes", [(6, 6), (4, 4, 4), (5, 7), (3, 3, 3, 3), (1,) * 11, (2, 2, 2, 2, 3)])
def test_phrase_split_over_messages_is_caught_with_its_earlier_parts(sizes: tuple[int, ...]) -> None:
    # caught as soon as 11 words are in (a phrase with one word missing is a phrase)
    from core.shield.gate import PhraseWindow

    clock = _Clock()
    window = PhraseWindow(seconds=120, clock=clock)
    words = _phrase()
    pos, verdicts = 0, []
    for i, size in enumerate(sizes):
        clock.now += 5
        verdicts.append(_send(window, "\n".join(words[pos:pos + size]), f"m{i}"))
        pos += size
    assert not any(v.leak for v in verdicts[:-1])
    last = verdicts[-1]
    assert last.leak and last.kinds == (KIND_SEED_PHRASE,)
    assert set(last.earlier_parts) <= {f"m{i}" for i in range(len(sizes) - 1)} and last.earlier_parts
    assert not any(w in last.text.split() for w in words[-sizes[-1]:])
    assert len(window) == 0  # the parts are handed over, not kept


def test_split_window_is_per_user_and_chat_and_expires() -> None:
    from core.shield.gate import PhraseWindow

    clock = _Clock()
    window = PhraseWindow(seconds=60, clock=clock)
    words = _phrase()
    _send(window, " ".join(words[:6]), "a1", user="telegram:1")
    assert not _send(window, " ".join(words[6:]), "b1", user="telegram:2").leak  # another user
    assert not _send(window, " ".join(words[6:]), "c1", chat="telegram:-200").leak  # another chat
    clock.now += 61
    assert not _send(window, " ".join(words[6:]), "a2", user="telegram:1").leak  # expired


def test_split_window_is_broken_by_ordinary_chat() -> None:
    from core.shield.gate import PhraseWindow

    window = PhraseWindow(clock=_Clock())
    words = _phrase()
    _send(window, " ".join(words[:6]), "m1")
    _send(window, "ok thanks, what is the fee?", "m2")
    assert not _send(window, " ".join(words[6:]), "m3").leak


def test_short_list_word_messages_in_a_row_are_chat() -> None:
    from core.shield.gate import PhraseWindow

    window = PhraseWindow(clock=_Clock())
    for i, text in enumerate(["help", "please help", "wallet", "account", "what about my balance", "help",
                              "thank you", "later", "yes", "good", "sorry"]):
        assert not _send(window, text, f"m{i}").leak, text


# ------------------------------------------------------- 15: the log filter


def _filtered(fmt: str, *args: object) -> str:
    from core.wiring.logs import RedactSecrets

    record = logging.LogRecord("telegram.ext", logging.ERROR, __file__, 1, fmt, args, None)
    RedactSecrets().filter(record)
    return record.getMessage()


def test_log_filter_catches_newline_separated_phrases_in_payloads() -> None:
    import json

    words = _phrase()
    for payload in ({"message": {"text": "\n".join(words)}}, json.dumps({"text": "\n".join(words)})):
        out = _filtered("could not process update %r", payload)
        left = set(re.findall(r"[a-z]+", out.replace("\\n", " "))) - {"could", "not", "process", "update",
                                                                    "message", "text", "redacted", "secret"}
        assert not left & set(words), out
    chinese = json.dumps({"text": "\n".join(_phrase(128, ZH))})  # ensure_ascii: \\uXXXX escapes
    assert "\\u" not in _filtered("payload %s", chinese)


def test_log_filter_leaves_ordinary_payloads_alone() -> None:
    assert _filtered("payload %r", {"text": "hello\nworld, where is my transfer?"}) == \
        "payload {'text': 'hello\\nworld, where is my transfer?'}"


def test_a_part_that_leaks_on_its_own_names_the_parts_before_it() -> None:
    from core.shield.gate import PhraseWindow

    window = PhraseWindow(clock=_Clock())
    words = _phrase(256)
    assert not _send(window, " ".join(words[:3]), "m1").leak
    last = _send(window, "\n".join(words[3:]), "m2")  # 21 words: a leak by itself
    assert last.leak and last.earlier_parts == ("m1",)
    assert len(window) == 0


def test_a_lone_surrogate_reaching_the_engine_directly_does_not_raise(faq_engine) -> None:
    # paths that do not pass the gate (Slack's /faq test, `walletdesk faq ask`) end in FaqEngine.ask
    faq_engine.ask("how do I reset my password \ud800")
