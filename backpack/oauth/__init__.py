"""The OAuth 2 authorization server every issuer platform uses (Badge Connect and our API)."""
