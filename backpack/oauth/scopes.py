"""The scopes a client may ask for, and what each lets it do, in plain words."""

from __future__ import annotations

BADGE_CONNECT = "https://purl.imsglobal.org/spec/ob/v2p1/scope/"
ASSERTION_READONLY = BADGE_CONNECT + "assertion.readonly"
ASSERTION_CREATE = BADGE_CONNECT + "assertion.create"
PROFILE_READONLY = BADGE_CONNECT + "profile.readonly"
PROFILE_UPDATE = BADGE_CONNECT + "profile.update"
OFFLINE_ACCESS = "offline_access"

OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
CREDENTIAL_READONLY = OB3 + "credential.readonly"
CREDENTIAL_UPSERT = OB3 + "credential.upsert"
OB3_PROFILE_READONLY = OB3 + "profile.readonly"
OB3_PROFILE_UPDATE = OB3 + "profile.update"

# Shown on the consent page, in the order listed here.
DESCRIPTIONS: dict[str, str] = {
    ASSERTION_READONLY: "See the badges you have accepted into your backpack",
    ASSERTION_CREATE: "Add badges awarded to you to your backpack",
    PROFILE_READONLY: "See your name and your verified email addresses",
    PROFILE_UPDATE: "Add email addresses to your profile (you verify each before it counts)",
    CREDENTIAL_READONLY: "See the Open Badges 3.0 credentials you have accepted into your backpack",
    CREDENTIAL_UPSERT: "Add Open Badges 3.0 credentials awarded to you to your backpack",
    OB3_PROFILE_READONLY: "See your name and your verified email addresses",
    OB3_PROFILE_UPDATE: "Change your name and add email addresses (each verified before it counts)",
    OFFLINE_ACCESS: "Keep this access when you are not using the app, until you revoke it",
}

BADGE_CONNECT_SCOPES = (ASSERTION_READONLY, ASSERTION_CREATE, PROFILE_READONLY, PROFILE_UPDATE)
# The manifest's scopesOffered. Open Badges 2.1 defines `offline_access` as the scope that
# gives a refresh token, and Moodle registers and asks for exactly what is offered here, so
# offering it is how Moodle gets the refresh token its token store cannot do without; the
# earner still sees it on the consent page, and a client that does not ask gets none.
# The order matters: Moodle drops the FIRST scope of the list when it asks for consent (a
# PHP `unset($scopes[false])`), so the first is one Moodle never uses (it never lists
# assertions), and neither assertion.create nor offline_access may come first.
SCOPES_OFFERED = (*BADGE_CONNECT_SCOPES, OFFLINE_ACCESS)
OB3_SCOPES = (CREDENTIAL_READONLY, CREDENTIAL_UPSERT, OB3_PROFILE_READONLY, OB3_PROFILE_UPDATE)
SUPPORTED = tuple(DESCRIPTIONS)
# The scopes that let a client read badges: with these, the earner may pick collections.
READING = (ASSERTION_READONLY, CREDENTIAL_READONLY)


def describe(scope: str) -> list[tuple[str, str]]:
    """The known scopes of a space-separated scope string, with their descriptions."""
    requested = set(scope.split())
    return [(name, text) for name, text in DESCRIPTIONS.items() if name in requested]
