"""Logging: JSON lines when stderr is not a terminal, plain text otherwise.
Message bodies and codes never go into log records (callers log ids and kinds)."""

from __future__ import annotations

import json
import logging
import sys
import time

from core.config import Settings

__all__ = ["setup_logging"]


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


class RedactSecrets(logging.Filter):
    """Last line of defence: a record that would carry a recovery phrase or key
    (a library logging a raw payload, say) is rewritten before it is emitted."""

    def filter(self, record: logging.LogRecord) -> bool:
        from core.shield import scan

        message = record.getMessage()
        result = scan(message)
        if result.leak:
            record.msg, record.args = result.redacted, None
        return True


def setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets())
    if sys.stderr.isatty():
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel("DEBUG" if settings.debug else settings.log_level.upper())
    # libraries log request URLs that contain bot tokens
    for noisy in ("httpx", "httpcore", "telegram", "discord", "slack_bolt", "slack_sdk", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
