"""What users are told about one-time codes that could not be sent (core/support/staff.py)."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    "verify.code_not_sent": {
        "en": "Our team tried to send you a one-time code, but it could not be sent just now. Nothing was "
              "counted against you; our team will try again. Never share your recovery phrase with anyone.",
        "zh": "客服刚才尝试向你发送一次性验证码，但暂时未能发出。这不会计入你的验证次数，客服会再试一次。"
              "切勿向任何人透露你的助记词。",
    },
}
