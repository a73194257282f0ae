"""Logging: JSON lines when stderr is not a terminal, plain text otherwise.
While the console chat runs, records go to a file instead and only warnings reach
the terminal, each once, above the prompt.
Message bodies and codes never go into log records (callers log ids and kinds)."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from pathlib import Path
from typing import Callable, TextIO

from core.config import Settings
from core.contract import noisy_loggers

__all__ = ["JsonFormatter", "RedactSecrets", "TerminalWarnings", "WithholdPayloads", "setup_logging"]

_OWN_LOGGERS = ("core", "adapters", "__main__")
_MAX_ARG_CHARS = 120


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


_ESCAPED_BREAK_RE = re.compile(r"\\+[nrt]")  # also the doubled backslashes of a repr of JSON
_ESCAPED_CHAR_RE = re.compile(r"\\+u([0-9a-fA-F]{4})")
WITHHELD_RECORD = "<log record withheld: it held a wallet secret>"


class RedactSecrets(logging.Filter):
    """Last line of defence: a record that would carry a recovery phrase or key
    (a library logging a raw payload, say) is rewritten before it is emitted.

    A payload logged as ``repr`` or JSON shows a newline as the two characters
    backslash-n, which glue the words on either side into one (``word\\nword``):
    those escapes are read as blanks before scanning (same length, so the
    redaction lands in place), and ``\\uXXXX`` escapes (JSON of Chinese text)
    are decoded; a secret found only after decoding withholds the whole record."""

    def filter(self, record: logging.LogRecord) -> bool:
        from core.shield.phrases import MARKERS, scan

        message = record.getMessage()
        blanked = _ESCAPED_BREAK_RE.sub(lambda m: " " * len(m.group()), message)
        result = scan(blanked)
        if result.leak:
            # put back what was blanked outside the redacted spans
            out, pos = [], 0
            for f in result.findings:
                out += [message[pos:f.start], MARKERS[f.kind]]
                pos = f.end
            out.append(message[pos:])
            record.msg, record.args = "".join(out), None
        elif "\\u" in message and scan(_ESCAPED_CHAR_RE.sub(lambda m: chr(int(m.group(1), 16)), blanked)).leak:
            record.msg, record.args = WITHHELD_RECORD, None
        return True


class WithholdPayloads(logging.Filter):
    """Outside debug, a library record's bulky arguments (a raw update, event or
    response, which holds what users wrote) are replaced by their size: a chat
    bot library, for one, logs a whole unparsable update at CRITICAL."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(_OWN_LOGGERS) or not record.args:
            return True
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        if any(_bulky(a) for a in args):
            record.args = tuple(_Withheld(len(repr(a))) if _bulky(a) else a for a in args)
        return True


class _Withheld:
    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size

    def __repr__(self) -> str:
        return f"<withheld: {self.size} chars>"

    __str__ = __repr__


def _bulky(value: object) -> bool:
    if isinstance(value, (dict, list, tuple, bytes, bytearray)):
        return True
    return isinstance(value, str) and len(value) > _MAX_ARG_CHARS


class TerminalWarnings(logging.StreamHandler):  # type: ignore[type-arg]
    """Warnings and errors on the terminal beside a chat, each kind once (a retry
    loop's warning would otherwise bury the conversation). ``prompt`` returns what
    the chat shows while it waits for input: the record is written above it and the
    prompt is shown again."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.setLevel(logging.WARNING)
        self.prompt: Callable[[], str] = lambda: ""
        self._seen: set[tuple[str, str]] = set()

    def emit(self, record: logging.LogRecord) -> None:
        kind = (record.name, str(record.msg))  # the template: the same warning with new figures is not new
        if kind in self._seen:
            return
        self._seen.add(kind)
        prompt = self.prompt()
        if not prompt:
            super().emit(record)
            return
        try:
            self.stream.write("\r\x1b[K" + self.format(record) + "\n" + prompt)
            self.flush()
        except Exception:  # noqa: BLE001 - logging must never raise into the caller
            self.handleError(record)


def _plain() -> logging.Formatter:
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def setup_logging(settings: Settings, *, log_file: Path | None = None) -> TerminalWarnings | None:
    """Log to stderr; with ``log_file`` (the console chat), every record goes to that
    file and only warnings to the terminal, through the returned handler."""
    handlers: list[logging.Handler] = []
    terminal: TerminalWarnings | None = None
    if log_file is None:
        handlers.append(logging.StreamHandler(sys.stderr))
        handlers[0].setFormatter(_plain() if sys.stderr.isatty() else JsonFormatter())
    else:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(JsonFormatter())
        terminal = TerminalWarnings(sys.stderr)
        terminal.setFormatter(_plain() if sys.stderr.isatty() else JsonFormatter())
        handlers += [to_file, terminal]
    for handler in handlers:
        if not settings.debug:
            handler.addFilter(WithholdPayloads())
        handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel("DEBUG" if settings.debug else settings.log_level.upper())
    # libraries log request URLs that contain bot tokens
    for noisy in ("httpx", "httpcore", "aiohttp.access", *noisy_loggers()):  # and each adapter's libraries
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return terminal
