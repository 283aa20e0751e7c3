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
    "unsupported_version": "An Open Badges 3.0 credential where only an assertion of an earlier "
    "version can be read (offline reading of a stored 0.5-2.0 badge).",
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
    "suspended": "The issuer has suspended the badge for now (a status list's suspension bit).",
    "expired": "The badge's expiry date has passed.",
    "issued_in_future": "The badge's issue date is in the future.",
    "expires_before_issued": "The badge expires before it was issued.",
    "recipient_mismatch": "The badge is not awarded to any of the given recipient identities.",
    # Open Badges 3.0 credentials (credentials/extract, checks, schema, status, refresh, view)
    "not_a_credential": "Input read as a Verifiable Credential that is not one: not a JSON "
    "object, or a VC-JWT whose shape does not match its data model.",
    "credential_context": "A credential whose first @context is not the VC 1.1 or 2.0 context.",
    "credential_type": "A credential whose type lacks VerifiableCredential and "
    "OpenBadgeCredential / AchievementCredential (EndorsementCredential for an endorsement).",
    "credential_subject": "A credential with no credentialSubject, or one naming its earner "
    "neither by id nor by identifier.",
    "no_valid_proof": "A credential none of whose proofs could be verified.",
    "status_list_invalid": "A credential status list that was fetched but cannot be trusted or "
    "read (unproven, out of its validity, not gzip, too large, index out of range).",
    # Open Badges 3.0 proofs and keys (credentials/keys, canonical, data_integrity, vc_jwt)
    "proof_missing": "A 3.0 credential with neither an embedded proof nor a VC-JWT signature.",
    "proof_malformed": "An embedded proof that is not an object, names contexts that are not "
    "the credential's, or one of too many proofs.",
    "proof_type_unsupported": "An embedded proof of a type other than DataIntegrityProof or "
    "Ed25519Signature2020.",
    "proof_cryptosuite_unsupported": "A DataIntegrityProof whose cryptosuite is not "
    "eddsa-rdfc-2022 (or the older eddsa-2022).",
    "proof_purpose_invalid": "An embedded proof whose proofPurpose is not assertionMethod.",
    "proof_value_invalid": "A proofValue that is not a base58btc (z) 64-byte Ed25519 signature.",
    "proof_invalid_signature": "An embedded proof whose signature does not match the credential "
    "with the issuer's key.",
    "multibase_invalid": "Text that should be multibase (z base58btc, u base64url) is not.",
    "verification_method_invalid": "A verificationMethod (or JWT kid) that is not a DID URL or "
    "https URL, or a did:key whose fragment is another key.",
    "did_invalid": "A did:web identifier that does not name a well-formed host and path.",
    "did_method_unsupported": "A DID method other than did:key and did:web (never resolved "
    "through third-party resolvers).",
    "did_document_invalid": "A DID document that declares an id other than its DID.",
    "verification_method_not_found": "The fetched controller or DID document does not list the "
    "verification method (a key is never taken from a URL fragment alone).",
    "key_too_small": "An RSA key shorter than 2048 bits in a 3.0 credential.",
    "jwk_private": "A JWK (in a JWT header or a key document) that holds a private key part.",
    "jsonld_dropped_term": "A credential property no JSON-LD context defines: expansion drops it, "
    "so the signature would not cover it (JSON-LD safe mode).",
    "jsonld_relative_iri": "A relative @type or @id that JSON-LD cannot place, so the signature "
    "would not cover it (JSON-LD safe mode).",
    "jsonld_too_complex": "JSON-LD too large, deep or costly to canonicalise (bounded work).",
    "jwt_no_key": "A VC-JWT whose header names its key neither by kid nor by jwk (jku and x5u "
    "are never followed).",
    "jwt_claim_mismatch": "A VC-JWT claim (iss, jti, nbf, exp, sub) that contradicts the "
    "credential it carries.",
    "jwt_claim_missing": "A VC-JWT without a claim the specification requires (iss, jti, nbf).",
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
# - vc_data_model_1_1, credential_context_version: the credential is still proven; 1EdTech's
#   validator warns for its own VC 1.1 and older-context fixtures and calls them valid.
# - credential_schema_mismatch, credential_schema_unavailable: the official schema refuses
#   real credentials (1EdTech's own, spec issue #473); the checks that prove a badge are
#   made on their own.
# - status_unknown, status_unreachable: the issuer has not said the badge is revoked; the
#   badge shows the status, and re-verification asks again.
# - status_list_short: shorter lists (DCC's hold 100,000) still say who is revoked.
# - refresh_failed, credential_refreshed: the copy kept is proven either way.
# - endorsement_invalid: an endorsement is a third party's remark, shown as not verified; it
#   proves nothing about the badge itself.
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
    "vc_data_model_1_1": "The credential follows the VC data model 1.1, since replaced by 2.0 "
    "in Open Badges 3.0.",
    "credential_context_version": "The credential's second @context is not an Open Badges 3.0 "
    "context of a published version.",
    "credential_schema_mismatch": "The credential does not follow the 1EdTech JSON Schema it "
    "names.",
    "credential_schema_unavailable": "The credential names a JSON Schema this backpack does not "
    "bundle; it was not checked against it.",
    "status_unknown": "The credential's status is of a type not understood (never read as "
    "revoked).",
    "status_unreachable": "The credential's status list could not be fetched; whether it is "
    "revoked is not known.",
    "status_list_short": "The status list is shorter than the specification's 131,072 entries.",
    "refresh_failed": "The credential's refresh service gave no valid newer copy; the copy "
    "handed in is kept.",
    "credential_refreshed": "The issuer's refresh service returned a newer valid copy, which is "
    "kept instead.",
    "endorsement_invalid": "An endorsement embedded in the credential does not verify; it is "
    "shown as such and the badge's verdict is unchanged.",
    # Open Badges 3.0 proofs and keys (credentials/keys, canonical, data_integrity, vc_jwt)
    # Why these are no errors: the older suites sign the same bytes with the same Ed25519
    # (the specification says to accept them with a warning); a did:key with a urn:uuid
    # issuer is what 1EdTech's own conformance credential does, and no key could be tied to
    # such an issuer anyway; a VC-JWT may carry its key as `jwk` (the specification allows
    # it, 1EdTech's own examples do it), though nothing then ties it to the issuer; a missing
    # `sub` is in 1EdTech's own examples; jku and x5u are never followed, so naming them
    # changes nothing.
    "proof_suite_legacy": "The credential is signed with an older suite (eddsa-2022 or "
    "Ed25519Signature2020) that still verifies.",
    "key_not_bound_to_issuer": "Signed with a key no document of the issuer vouches for: a "
    "did:key while the issuer's id is a urn:uuid, or a VC-JWT's own embedded jwk.",
    "jwt_sub_missing": "A VC-JWT without a `sub` claim (1EdTech's own examples lack it).",
    "jwt_header_ignored": "A VC-JWT header names jku or x5u, which are never followed; its kid "
    "or jwk was used.",
}

# Codes of fetch failures that leave a badge "unverifiable" rather than proven bad: the
# issuer may be back tomorrow, so the backpack keeps the badge and checks again later.
TRANSIENT_CODES: Final[frozenset[str]] = frozenset(
    {"unreachable", "fetch_timeout", "server_error", "fetch_busy"}
)


def describe(code: str) -> str:
    """Return the documented meaning of a report code, or an empty string if unknown."""
    return ERROR_CODES.get(code) or WARNING_CODES.get(code, "")
