"""The walletdesk exception tree.

WalletdeskError
 ├── ConfigError          settings are missing or conflict (names the variable)
 │    └── PlatformStartError  a platform could not start (names the setting and the fix)
 ├── StoreError           the database refused or is unreachable
 │    └── NotFound        unknown ticket, user or row
 ├── InvalidInput         bad input from a user or staff (one-line, safe to show)
 │    └── IllegalTransition  a ticket action that its state forbids
 ├── IdentityError        one-time code or signature problems
 │    ├── CodeRateLimited
 │    └── CodeRejected
 └── DeliveryError        a platform refused an outgoing message
      └── RetryLater      transient; carries retry_after seconds
           └── RateLimited  the platform's 429: send again after retry_after (not a failure)

Messages carry an i18n key so adapters can show them in the user's language.
"""

from __future__ import annotations

__all__ = [
    "CodeRateLimited",
    "CodeRejected",
    "ConfigError",
    "DeliveryError",
    "IdentityError",
    "IllegalTransition",
    "InvalidInput",
    "NotFound",
    "PlatformStartError",
    "RateLimited",
    "RetryLater",
    "StoreError",
    "WalletdeskError",
]


class WalletdeskError(Exception):
    """Root of every error walletdesk raises on purpose.

    Args:
        message: one line for logs and operators (English).
        key: i18n key of the user-facing text, when a user may see it.
        params: values for the i18n template.
    """

    def __init__(self, message: str, *, key: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


class ConfigError(WalletdeskError):
    pass


class PlatformStartError(ConfigError):
    """A platform could not start. Adapters translate their library's exceptions into
    this one, so the core can report any platform in one line without knowing it.

    Args:
        setting: the environment variable to look at (``TELEGRAM_BOT_TOKEN``).
        problem: what went wrong, in operator English.
        fix: what to do about it.
        retry: whether trying again later may help (an unreachable network), or not
            (a rejected token, a missing setting: the process has to be restarted).
    """

    def __init__(self, setting: str, problem: str, fix: str, *, retry: bool = True) -> None:
        super().__init__(f"{setting}: {problem}; {fix}")
        self.setting = setting
        self.problem = problem
        self.fix = fix
        self.retry = retry

    @classmethod
    def unreachable(cls, platform: str, prefix: str, base_url: str | None, default_host: str,
                    detail: str) -> PlatformStartError:
        """The platform's API did not answer: the base-URL setting when one is set, else the token's."""
        setting = f"{prefix}_API_BASE_URL" if base_url else f"{prefix}_BOT_TOKEN"
        fix = "check this machine's network and proxy (HTTPS_PROXY)" + (
            f", or {prefix}_API_BASE_URL" if base_url else f", or unset {prefix}_BOT_TOKEN to run without {platform}")
        return cls(setting, f"{base_url or default_host} is unreachable ({detail})", fix)


class StoreError(WalletdeskError):
    pass


class NotFound(StoreError):
    pass


class InvalidInput(WalletdeskError):
    pass


class IllegalTransition(InvalidInput):
    pass


class IdentityError(WalletdeskError):
    pass


class CodeRateLimited(IdentityError):
    pass


class CodeRejected(IdentityError):
    pass


class DeliveryError(WalletdeskError):
    """A platform refused a delivery for good (bad request, forbidden)."""


class RetryLater(DeliveryError):
    """A transient failure: 429, 5xx, timeouts."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(RetryLater):
    """The platform's rate limit (HTTP 429): the message is fine, it goes out after
    ``retry_after`` seconds. The outbox waits exactly that and counts no attempt, so a
    busy chat (several workers sharing one bot's windows) never dead-letters a row."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
