"""The Open Badges 3.0 Service Description Document served at /ims/ob/v3p0/discovery.

A profiled OpenAPI 3.0 document (the 3.0 security section): where to register, authorise
and get tokens, which scopes exist, and the operations this backpack serves, with schemas
exact enough that a client (or schemathesis, in our tests) can check every answer.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from backpack.links import external_url
from backpack.oauth import scopes

API_BASE = "/ims/ob/v3p0"
CODE_MAJOR = ["failure", "processing", "success", "unsupported"]
SEVERITY = ["error", "status", "warning"]
CODE_MINOR = [
    "forbidden", "fullsuccess", "internal_server_error", "invalid_data",
    "invalid_query_parameter", "misdirected_request", "not_acceptable", "not_allowed",
    "not_found", "not_modified", "server_busy", "unauthorizedrequest", "unknown",
]  # fmt: skip

STATUS_INFO: dict[str, Any] = {
    "type": "object",
    "required": ["imsx_codeMajor", "imsx_severity"],
    "additionalProperties": False,
    "properties": {
        "imsx_codeMajor": {"type": "string", "enum": CODE_MAJOR},
        "imsx_severity": {"type": "string", "enum": SEVERITY},
        "imsx_description": {"type": "string"},
        "imsx_codeMinor": {
            "type": "object",
            "required": ["imsx_codeMinorField"],
            "additionalProperties": False,
            "properties": {
                "imsx_codeMinorField": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["imsx_codeMinorFieldName", "imsx_codeMinorFieldValue"],
                        "additionalProperties": False,
                        "properties": {
                            "imsx_codeMinorFieldName": {"type": "string"},
                            "imsx_codeMinorFieldValue": {"type": "string", "enum": CODE_MINOR},
                        },
                    },
                }
            },
        },
    },
}
# Credentials are given back exactly as they were stored; their own checks are the verifier's.
CREDENTIAL: dict[str, Any] = {
    "type": "object",
    "required": ["@context", "type"],
    "properties": {"@context": {"type": "array"}, "type": {}},
}
COMPACT_JWS: dict[str, Any] = {
    "type": "string",
    "pattern": r"^[-A-Za-z0-9_]+\.[-A-Za-z0-9_]*\.[-A-Za-z0-9_]+$",
}
PROFILE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "type"],
    "properties": {
        "@context": {"type": "array", "items": {"type": "string"}},
        "id": {"type": "string"},
        "type": {"type": "array", "items": {"type": "string"}},
        "name": {"type": "string"},
        "email": {"type": "string"},
        "otherIdentifier": {"type": "array", "items": {"type": "object"}},
    },
}
GET_CREDENTIALS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "credential": {"type": "array", "items": {"$ref": "#/components/schemas/Credential"}},
        "compactJwsString": {"type": "array", "items": {"$ref": "#/components/schemas/JWS"}},
    },
}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": "Imsx_StatusInfo",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Imsx_StatusInfo"}}
            },
        }
        for code in codes
    }


def _json(schema: str, description: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _credential_content() -> dict[str, Any]:
    credential = {"schema": {"$ref": "#/components/schemas/Credential"}}
    return {
        "application/json": credential,
        "application/vc+ld+json": credential,
        "text/plain": {"schema": {"$ref": "#/components/schemas/JWS"}},
    }


def _secured(scope: str) -> list[dict[str, list[str]]]:
    return [{"OAuth2ACG": [scope]}]


def _paths() -> dict[str, Any]:
    paging = [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
    ]
    return {
        "/credentials": {
            "get": {
                "operationId": "getCredentials",
                "security": _secured(scopes.CREDENTIAL_READONLY),
                "parameters": paging,
                "responses": {
                    "200": _json("GetOpenBadgeCredentialsResponse", "A page of credentials"),
                    **_errors(400, 401, 403, 405, 500),
                },
            },
            "post": {
                "operationId": "upsertCredential",
                "security": _secured(scopes.CREDENTIAL_UPSERT),
                "requestBody": {"required": True, "content": _credential_content()},
                "responses": {
                    "200": {"description": "Replaced", "content": _credential_content()},
                    "201": {"description": "Created", "content": _credential_content()},
                    **_errors(400, 401, 403, 404, 405, 415, 500),
                },
            },
        },
        "/profile": {
            "get": {
                "operationId": "getProfile",
                "security": _secured(scopes.OB3_PROFILE_READONLY),
                "responses": {
                    "200": _json("Profile", "The earner's profile"),
                    **_errors(400, 401, 403, 404, 405, 500),
                },
            },
            "put": {
                "operationId": "putProfile",
                "security": _secured(scopes.OB3_PROFILE_UPDATE),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}
                    },
                },
                "responses": {
                    "200": _json("Profile", "The earner's profile as stored"),
                    **_errors(400, 401, 403, 404, 405, 415, 500),
                },
            },
        },
        "/discovery": {
            "get": {
                "operationId": "getServiceDescription",
                "security": [],
                "responses": {
                    "200": {
                        "description": "This document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **_errors(429),
                },
            }
        },
    }


def service_description() -> dict[str, Any]:
    """This backpack's Service Description Document, with absolute URLs."""
    config = current_app.config
    home = external_url("main.index")
    return {
        "openapi": "3.0.1",
        "info": {
            "title": config["SITE_NAME"],
            "version": "3.0",
            "description": "Open Badges 3.0 API of this backpack.",
            "termsOfService": config["TERMS_OF_SERVICE_URL"] or home,
            "x-imssf-privacyPolicyUrl": config["PRIVACY_POLICY_URL"] or home,
            "x-imssf-image": external_url("static", filename="backpack-logo.svg"),
        },
        "servers": [{"url": home.rstrip("/") + API_BASE}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "OAuth2ACG": {
                    "type": "oauth2",
                    "description": "OAuth 2.0 authorization code grant with PKCE (S256)",
                    "x-imssf-registrationUrl": external_url("oauth.register_ob3_client"),
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": external_url("oauth.authorize"),
                            "tokenUrl": external_url("oauth.issue_token"),
                            "refreshUrl": external_url("oauth.issue_token"),
                            "scopes": {
                                name: scopes.DESCRIPTIONS[name]
                                for name in (*scopes.OB3_SCOPES, scopes.OFFLINE_ACCESS)
                            },
                        }
                    },
                }
            },
            "schemas": {
                "Imsx_StatusInfo": STATUS_INFO,
                "Credential": CREDENTIAL,
                "JWS": COMPACT_JWS,
                "Profile": PROFILE,
                "GetOpenBadgeCredentialsResponse": GET_CREDENTIALS,
            },
        },
    }
