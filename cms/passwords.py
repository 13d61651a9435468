"""Password hashing: PBKDF2-HMAC-SHA256 from the standard library, one random salt per password.

A stored hash reads `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, so the iteration count can
rise in a later release (or through $CMS_PASSWORD_ITERATIONS) and older hashes are upgraded the
next time their owner logs in (`needs_rehash`).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from .errors import CmsError, ValidationError

ALGORITHM = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000
MIN_LENGTH = 8
# The most the login and Profile forms read of a password (a longer one is cut there, so a
# stored one longer than this could never log in), and the most PBKDF2 is asked to hash.
MAX_LENGTH = 1024
# Hashed when the user does not exist, so a missing name costs as much time as a wrong password.
_DUMMY_SALT = "0" * 32


def iterations() -> int:
    """The work factor for new hashes: $CMS_PASSWORD_ITERATIONS, else 600,000."""
    text = os.environ.get("CMS_PASSWORD_ITERATIONS", "").strip()
    if not text:
        return DEFAULT_ITERATIONS
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1000:
        raise CmsError(f"CMS_PASSWORD_ITERATIONS={text!r} must be a whole number of at least 1000")
    return value


def check_rules(password: object, field: str = "pass") -> str:
    """The password if it is acceptable; a ValidationError saying which rule it breaks if not."""
    if not isinstance(password, str):
        raise ValidationError(f"a password must be text, not {type(password).__name__}",
                              field=field, value="(hidden)", rule="type")
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"the password is too short: {len(password)} character(s), at least "
                              f"{MIN_LENGTH} are needed", field=field, value="(hidden)",
                              rule="min_length")
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"the password is too long: {len(password)} characters, at most "
                              f"{MAX_LENGTH}", field=field, value="(hidden)", rule="max_length")
    if "\x00" in password:
        raise ValidationError("the password holds a NUL character", field=field, value="(hidden)",
                              rule="characters")
    if any("\ud800" <= ch <= "\udfff" for ch in password):
        raise ValidationError("the password holds an unpaired surrogate (not valid Unicode text)",
                              field=field, value="(hidden)", rule="characters")
    return password


def _derive(password: str, salt: str, rounds: int) -> bytes:
    # surrogatepass: a login attempt with broken Unicode is a wrong password, not a crash (no
    # stored password holds one: check_rules refuses it); valid text encodes as plain UTF-8.
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8", "surrogatepass"),
                               salt.encode("ascii"), rounds)


def make_hash(password: str, rounds: int | None = None) -> str:
    """The encoded hash of a password (check it with `check_rules` first)."""
    rounds = rounds or iterations()
    salt = secrets.token_hex(16)
    digest = base64.b64encode(_derive(password, salt, rounds)).decode("ascii")
    return f"{ALGORITHM}${rounds}${salt}${digest}"


def _parse(encoded: str) -> tuple[int, str, bytes] | None:
    try:
        algorithm, rounds, salt, digest = encoded.split("$")
        if algorithm != ALGORITHM:
            return None
        return int(rounds), salt, base64.b64decode(digest, validate=True)
    except (ValueError, AttributeError):
        return None


def verify(password: str, encoded: str | None) -> bool:
    """True when `password` matches the stored hash; compares in constant time.

    A missing or unreadable hash still costs one full hash, so timing does not tell a missing
    user from a wrong password.
    """
    parsed = _parse(encoded) if encoded else None
    if not isinstance(password, str):
        password = ""
    if parsed is None:
        spend_time(password)
        return False
    rounds, salt, expected = parsed
    return hmac.compare_digest(_derive(password, salt, rounds), expected)


def spend_time(password: str = "") -> None:
    """Hash once for nothing: what a login for a user that does not exist costs."""
    hmac.compare_digest(_derive(password if isinstance(password, str) else "", _DUMMY_SALT,
                                iterations()), b"\x00" * 32)


def needs_rehash(encoded: str) -> bool:
    """True when a stored hash was made with another work factor than the current one."""
    parsed = _parse(encoded)
    return parsed is None or parsed[0] != iterations()
