"""Every machine code a verification report can carry, and what it means.

The web pages, the APIs and the CLI map these codes to their own wording and statuses, so a
code never changes meaning once published. A report message's `code` is always a key of
`ERROR_CODES` or `WARNING_CODES`.

Which codes refuse and which warn:

    kind          codes                             what happens to the badge
    error         every key of ERROR_CODES but:     not valid; intake refuses it
    error, kept   `expired`, TRANSIENT_CODES        not valid, but kept and shown as expired
                                                    or "unverifiable" (checked again later)
    warning       every key of WARNING_CODES        verdict unchanged; the remark is shown

A problem is an error when it means the badge may not be what it claims: it cannot be
read, its issuer does not vouch for it (hosted copy, signature, key, hosting scope), it is
revoked, expired or not the earner's, or data a person relies on is missing or malformed.
It is a warning when the badge is still proven genuine and the earner's, and the reference
verifier (badgecheck) and Badgr accept it too: what is missing or odd is not used to verify
anything. Each warning says below why it is one. (Intake's exceptions are `badge_intake.
KEPT_ERROR_CODES`; re-verification never drops a badge, it only marks it.)
"""

from __future__ import annotations

from typing import Final

# Codes of problems that make a badge invalid.
ERROR_CODES: Final[dict[str, str]] = {
    # What was handed in
    "unrecognised_input": "The input is not badge JSON, a signed badge (JWS), a URL or an image.",
    "input_too_large": "The input is larger than the library accepts.",
    "not_json": "Text that should be JSON (the input or a fetched document) is malformed.",
    "json_too_deep": "JSON nested more deeply than the library accepts.",
    "not_a_badge": "Well-formed JSON that is not an Open Badges assertion of any version.",
    "needs_fetch": "Only a badge's URL, where it was to be read offline (an import fetches "
    "nothing).",
    "internal_error": "The verifier failed unexpectedly; the badge may be fine (a bug to report).",
    "unsupported_version": "A badge version this library does not verify yet (Open Badges 3.0).",
    "unknown_context": "A JSON-LD @context that is not one of the bundled Open Badges contexts.",
    "invalid_jsonld": "JSON-LD that cannot be processed (a broken @context or term).",
    # Images (raised by the baking and image modules, reported as they come)
    "not_an_image": "Bytes that are neither a badge image nor badge text.",
    "image_too_large": "An image over the size or pixel limit.",
    "decompression_bomb": "A PNG whose compressed data expands far beyond its size.",
    "truncated_image": "An image file that ends early.",
    "unsafe_svg": "An SVG that uses entities or external references the library refuses.",
    "svg_has_scripts": "An SVG that contains scripts.",
    "no_badge_in_image": "An image with no baked badge in it (only PNG and SVG can hold one).",
    "invalid_baked_text": "The text baked into an image is not UTF-8.",
    # The BadgeClass image of a badge being added (one already held only gets a warning)
    "badge_image_missing": "The BadgeClass image answered 404, 410 or another refusal, as the "
    "reference verifier and Badgr refuse it.",
    "badge_image_invalid": "The BadgeClass image is not a PNG or SVG within the image limits "
    "(checked by content; a JPEG or GIF only in a badge older than 2.0).",
    # Signed badges (JWS)
    "jws_malformed": "A signed badge whose JWS cannot be decoded.",
    "jws_alg_not_allowed": "A JWS signed with `none`, an HMAC secret or an unknown algorithm.",
    "jws_invalid_signature": "The signature does not verify with the issuer's key.",
    "public_key_invalid": "The issuer's public key is not a usable PEM public key.",
    "no_public_key": "No public key could be found to check the signature with.",
    "key_not_authorised": "The signing key is not linked from (owned by) the badge's issuer.",
    "signature_required": "A signed badge was given as plain JSON, without its signature.",
    # Fetching issuer resources
    "fetch_refused": "A URL the fetcher will not try (not http(s), or otherwise refused).",
    "private_address": "A URL that points at a private, loopback or link-local address.",
    "unreachable": "An issuer's server could not be reached (the badge is unverifiable).",
    "fetch_timeout": "An issuer's server was too slow to answer (the badge is unverifiable).",
    "server_error": "An issuer's server answered with a 5xx error (the badge is unverifiable).",
    "fetch_busy": "This server was fetching for too many requests at once (unverifiable for now).",
    "response_too_large": "An issuer's document is larger than the fetcher accepts.",
    "too_many_redirects": "An issuer's URL redirects too many times.",
    "not_found": "An issuer resource (assertion, badge class, issuer, key, list) answered 404.",
    "http_error": "An issuer resource answered with an HTTP error other than 404, 410 or 5xx.",
    # Hosted badges
    "no_hosted_url": "A hosted badge that names no URL where its issuer hosts it.",
    "hosted_mismatch": "The issuer's hosted copy differs from the badge that was handed in.",
    "id_mismatch": "A fetched document declares an id other than the URL it was fetched from.",
    "outside_issuer_scope": "The hosted assertion's URL is outside what its issuer allows.",
    # Content
    "missing_property": "A required property is missing.",
    "invalid_property": "A property has a value of the wrong kind or format.",
    "wrong_type": "A document is not of the expected class (Assertion, BadgeClass, Issuer...).",
    "invalid_revocation_list": "The issuer's revocation list is malformed.",
    # Verdicts
    "revoked": "The issuer has revoked the badge.",
    "expired": "The badge's expiry date has passed.",
    "issued_in_future": "The badge's issue date is in the future.",
    "expires_before_issued": "The badge expires before it was issued.",
    "recipient_mismatch": "The badge is not awarded to any of the given recipient identities.",
    # Open Badges 3.0 credentials (credentials/extract, checks, schema, status, refresh, view)
    # Open Badges 3.0 proofs and keys (credentials/keys, canonical, data_integrity, vc_jwt)
}

# Codes of things worth knowing that do not make a badge invalid. Why each is no error:
# - insecure_url, redirected, id_differs: the document was still fetched from where the
#   issuer serves it, and its content is what is checked.
# - weak_key: the signature verifies; short keys were the norm for 1.0 issuers.
# - issuer_not_http: hosting scope is a 2.0 safeguard that such an issuer cannot state; the
#   Java validator (1EdTech) warns too.
# - issuer_without_id: an issuer embedded in its BadgeClass needs no id of its own (Badgr
#   exports, RCL); the hosted copy or signature vouches for the badge. badgecheck warns.
# - issuer_without_email: contact is optional in practice (BadgeBot, Badgr) and nothing is
#   verified through it; badgecheck and Badgr accept such issuers.
# - unknown_recipient_type: the recipient can still be matched exactly.
# - recipient_case_variant: Mozilla Backpack matched these spellings of a verified address.
# - baked_json_unreadable: the issuer's hosted copy, named by the SVG, is what was checked.
# - badge_image_unavailable: the badge was proven before and its image copy is kept; an
#   image is no part of what the issuer vouches for, so losing it later changes nothing.
# - badge_image_format: Mozilla-era specifications said an image "should" be a PNG.
WARNING_CODES: Final[dict[str, str]] = {
    "insecure_url": "An issuer resource is served over plain http, not https.",
    "redirected": "An issuer resource was served from another URL after a redirect.",
    "id_differs": "A fetched document declared another id; the declared id was fetched instead.",
    "weak_key": "The issuer signs with an RSA key shorter than 2048 bits.",
    "issuer_not_http": "The issuer's id is not an http(s) URL, so hosting scope is not enforced.",
    "issuer_without_id": "An issuer (embedded in its BadgeClass) has no id.",
    "issuer_without_email": "A 2.0 issuer profile gives no contact email address.",
    "badge_image_unavailable": "A badge already held whose BadgeClass image is now gone or "
    "broken; the backpack's stored copy is shown and the verdict is unchanged.",
    "badge_image_format": "A pre-2.0 badge's BadgeClass image is a JPEG or GIF, not a PNG or SVG.",
    "unknown_recipient_type": "The recipient is identified by a property other than email, url, "
    "telephone or id.",
    "recipient_case_variant": "The recipient hash was made from another spelling (letter case) "
    "of the matched address, one that Mozilla Backpack also accepted.",
    "baked_json_unreadable": "The JSON baked into an SVG is malformed; the badge was verified at "
    "the hosted URL of the SVG's verify attribute instead.",
    # Open Badges 3.0 credentials (credentials/extract, checks, schema, status, refresh, view)
    # Open Badges 3.0 proofs and keys (credentials/keys, canonical, data_integrity, vc_jwt)
}

# Codes of fetch failures that leave a badge "unverifiable" rather than proven bad: the
# issuer may be back tomorrow, so the backpack keeps the badge and checks again later.
TRANSIENT_CODES: Final[frozenset[str]] = frozenset(
    {"unreachable", "fetch_timeout", "server_error", "fetch_busy"}
)


def describe(code: str) -> str:
    """Return the documented meaning of a report code, or an empty string if unknown."""
    return ERROR_CODES.get(code) or WARNING_CODES.get(code, "")
