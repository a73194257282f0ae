"""Log records never carry secrets, and outside debug no library payloads."""

from __future__ import annotations

import io
import json
import logging

from mnemonic import Mnemonic

from core.wiring.logs import JsonFormatter, RedactSecrets, WithholdPayloads

PHRASE = Mnemonic("english").to_mnemonic(bytes(range(16)))


def _emit(logger: str, msg: str, *args: object, debug: bool = False) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    if not debug:
        handler.addFilter(WithholdPayloads())
    handler.addFilter(RedactSecrets())
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger(logger)
    log.addHandler(handler)
    log.propagate = False
    try:
        log.critical(msg, *args)
    finally:
        log.removeHandler(handler)
        log.propagate = True
    return stream.getvalue()


def test_library_payload_is_withheld_outside_debug() -> None:
    update = [{"update_id": 7, "message": {"text": "my balance is gone, code 493817", "chat": {"id": 5}}}]
    line = _emit("telegram.Bot", "Error while parsing updates! Received data was %r", update)
    record = json.loads(line)
    assert record["level"] == "critical" and "Received data was <withheld: " in record["msg"]
    assert "balance" not in line and "493817" not in line


def test_debug_keeps_the_payload_but_still_redacts_secrets() -> None:
    update = [{"message": {"text": f"restore fails: {PHRASE}"}}]
    line = _emit("telegram.Bot", "Received data was %r", update, debug=True)
    msg = json.loads(line)["msg"]
    assert msg.startswith("Received data was [{'message': {'text': 'restore") and "[redacted: recovery phrase]" in msg
    assert not any(word in msg.split("restore", 1)[1] for word in PHRASE.split())


def test_own_records_and_short_arguments_pass_untouched() -> None:
    assert json.loads(_emit("core.support.outbox", "delivery %d to %s failed", 12, "telegram"))["msg"] == \
        "delivery 12 to telegram failed"
    assert json.loads(_emit("discord.gateway", "shard %s %s", 1, "resumed"))["msg"] == "shard 1 resumed"
    assert "<withheld" in _emit("discord.gateway", "payload %s", "x" * 500)
