"""CSRF protection: every POST must carry the session's token.

The token travels in the form field `csrf_token` (forms) or the `X-CSRF-Token` header (the
admin's JavaScript). It is compared in constant time. With SameSite=Lax cookies a foreign site's
POST arrives without the session anyway; the token is the second lock, and the one that holds
for browsers that ignore SameSite.
"""
from __future__ import annotations

import hmac
from typing import Any

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def submitted_token(request: Any) -> str:
    """The token a request carries: the header first, then the form field."""
    token = request.headers.get(HEADER, "")
    if not token:
        try:
            token = request.forms.getunicode(FIELD) or ""
        except (ValueError, UnicodeError):     # an unreadable body carries no token
            token = ""
    return token


def token_is_valid(expected: str, submitted: str) -> bool:
    """True when `submitted` is the session's token (constant-time compare)."""
    if not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
