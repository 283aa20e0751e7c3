"""Open Badges 3.0: OpenBadgeCredentials (W3C Verifiable Credentials) read and verified.

One module per step of the specification's verification section (ob3-host.md section A):

    extract         the credential out of JSON or a compact JWS (VC data model 1.1 or 2.0)
    checks          context, types, credentialSubject, validity window
    schema          1EdTech JSON Schema, when `credentialSchema` asks for it
    multibase       multibase / multicodec decoding (base58btc `z`, base64url `u`)
    keys            verification methods: did:key, did:web, https controller documents
    jwk             public JSON Web Keys (RSA >= 2048, P-256, Ed25519), never a private one
    canonical       JSON-LD canonicalisation (URDNA2015) with offline contexts, in safe mode
    data_integrity  embedded proofs: eddsa-rdfc-2022, eddsa-2022, Ed25519Signature2020
    vc_jwt          VC-JWT (RS256, ES256, EdDSA) and its claims
    status          1EdTechRevocationList and BitstringStatusListEntry
    refresh         1EdTechCredentialRefresh
    subject         whose it is: the subject matched to the earner's identities
    view            the credential as the normalised assertion the backpack stores and shows
    verify          all of it, in order, into a `VerificationReport` with version "3.0"
"""
