"""Exceptions of the account domain. Views turn them into flash messages and 4xx statuses."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the user."""

    code = "refused"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidAddress(ServiceError):
    code = "invalid_address"
    status = 400


class AddressTaken(ServiceError):
    code = "address_taken"
    status = 409


class WeakPassword(ServiceError):
    code = "weak_password"
    status = 400


class WrongPassword(ServiceError):
    code = "wrong_password"
    status = 403


class BadToken(ServiceError):
    """A link that is forged, expired, or already used."""

    code = "bad_token"
    status = 400


class WrongAccount(ServiceError):
    """A link meant for another account than the one logged in."""

    code = "wrong_account"
    status = 403


class AddressRemovalRefused(ServiceError):
    code = "address_removal_refused"
    status = 409


class NotVerified(ServiceError):
    code = "not_verified"
    status = 409


class SendTooSoon(ServiceError):
    code = "send_too_soon"
    status = 429
