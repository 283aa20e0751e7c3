"""Password hashing (Argon2), legacy bcrypt from Mozilla imports, and strength rules."""

from __future__ import annotations

import functools
from importlib import resources

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backpack.services.app_context import settings
from backpack.services.errors import WeakPassword

# Mozilla Backpack stored bcrypt hashes; these prefixes identify them.
BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
MAX_PASSWORD_LENGTH = 1024


@functools.cache
def _hasher_with(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    """The Argon2id hasher with the cost the settings ask for (tune it to the hardware)."""
    return _hasher_with(*settings().argon2_cost)


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return _hasher().hash(password)


def check_password(stored_hash: str, password: str) -> tuple[bool, bool]:
    """Check a password against a stored hash: (matches, should be re-hashed)."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False, False
    if stored_hash.startswith(BCRYPT_PREFIXES):
        return _check_bcrypt(stored_hash, password), True
    hasher = _hasher()
    try:
        hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False, False
    # A hash made with other cost settings is upgraded at the next log-in.
    return True, hasher.check_needs_rehash(stored_hash)


def _check_bcrypt(stored_hash: str, password: str) -> bool:
    # bcrypt reads only 72 bytes; Mozilla's node bcrypt truncated the same way.
    candidate = password.encode()[:72]
    try:
        return bcrypt.checkpw(candidate, stored_hash.encode())
    except ValueError:
        return False


def _common_passwords() -> frozenset[str]:
    text = resources.files("backpack.services").joinpath("common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


COMMON_PASSWORDS = _common_passwords()


def check_password_strength(password: str, *, min_length: int, email: str = "") -> None:
    """Refuse a password that is short, very common, or built from the email address."""
    if len(password) < min_length:
        raise WeakPassword(f"Use at least {min_length} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at most {MAX_PASSWORD_LENGTH} characters.")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        raise WeakPassword("That password is too easy to guess; choose a less common one.")
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        raise WeakPassword("The password must not contain your email address.")
