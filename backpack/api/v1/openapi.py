"""The OpenAPI 3 document of /api/v1, built by apispec from the marshmallow schemas."""

from __future__ import annotations

from typing import Any, NamedTuple

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Response, current_app

from backpack.api.v1 import bp, json_response
from backpack.links import external_url
from backpack.schemas import api_v1 as schemas
from backpack.services.access_tokens import SCOPES


class Operation(NamedTuple):
    """One documented route: its input and answer schemas and its success status."""

    path: str
    method: str
    summary: str
    scope: str
    body: Any = None
    query: Any = None
    answer: Any = None
    status: int = 200


S = schemas
OPERATIONS = [
    Operation(
        "/badges",
        "get",
        "List your badges",
        "badges:read",
        None,
        S.BadgeListArgs,
        S.BadgeListSchema,
    ),
    Operation(
        "/badges", "post", "Add a badge", "badges:write", S.BadgeArgs, None, S.BadgeSchema, 201
    ),
    Operation(
        "/badges/{badge_id}", "get", "Read a badge", "badges:read", None, None, S.BadgeSchema
    ),
    Operation(
        "/badges/{badge_id}",
        "patch",
        "Accept or reject a badge",
        "badges:write",
        S.BadgeUpdateArgs,
        None,
        S.BadgeSchema,
    ),
    Operation("/badges/{badge_id}", "delete", "Delete a badge", "badges:write", status=204),
    Operation("/collections", "get", "List your collections", "collections:read"),
    Operation(
        "/collections",
        "post",
        "Create a collection",
        "collections:write",
        S.CollectionArgs,
        None,
        S.CollectionSchema,
        201,
    ),
    Operation(
        "/collections/{collection_id}",
        "get",
        "Read a collection",
        "collections:read",
        None,
        None,
        S.CollectionSchema,
    ),
    Operation(
        "/collections/{collection_id}",
        "patch",
        "Change a collection",
        "collections:write",
        S.CollectionArgs,
        None,
        S.CollectionSchema,
    ),
    Operation(
        "/collections/{collection_id}",
        "delete",
        "Delete a collection",
        "collections:write",
        status=204,
    ),
    Operation(
        "/collections/{collection_id}/badges",
        "post",
        "Add badges to a collection",
        "collections:write",
        S.CollectionBadgesArgs,
        None,
        S.CollectionSchema,
    ),
    Operation(
        "/collections/{collection_id}/badges/{badge_id}",
        "delete",
        "Take a badge out of a collection",
        "collections:write",
        status=204,
    ),
    Operation("/emails", "get", "List your email addresses", "emails:read"),
    Operation(
        "/emails",
        "post",
        "Add an email address",
        "emails:write",
        S.EmailArgs,
        None,
        S.EmailSchema,
        201,
    ),
    Operation(
        "/emails/{email_id}", "delete", "Remove an email address", "emails:write", status=204
    ),
]
LIST_ITEMS = {"/collections": schemas.CollectionSchema, "/emails": schemas.EmailSchema}


def build_spec() -> dict[str, Any]:
    """The OpenAPI document."""
    spec = APISpec(
        title="Backpack API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Your badges, collections and email addresses."},
        servers=[{"url": external_url("api_v1.openapi_document").rsplit("/", 1)[0]}],
    )
    spec.components.security_scheme(
        "token",
        {"type": "http", "scheme": "bearer", "description": "A personal access token (bpk_...)"},
    )
    spec.components.schema("Error", schema=schemas.ErrorSchema)
    paths: dict[str, dict[str, Any]] = {}
    for path, method, summary, scope, body, query, answer, status in OPERATIONS:
        paths.setdefault(path, {})[method] = _operation(
            path, summary, scope, body, query, answer, status
        )
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(
    path: str, summary: str, scope: str, body: Any, query: Any, answer: Any, status: int
) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": "Error"}}}
    responses: dict[str, Any] = {
        "401": {"description": "No valid session or token", **error},
        "403": {"description": f"The token lacks {scope}", **error},
        "429": {"description": "Too many requests for this token or account", **error},
        "404": {"description": "Not found", **error},
        "400": {"description": "Bad request", **error},
        "422": {"description": "Invalid input", **error},
    }
    if status == 204:
        responses["204"] = {"description": "Done"}
    else:
        schema: Any = answer
        if path in LIST_ITEMS and answer is None:
            schema = {
                "type": "object",
                "properties": {"items": {"type": "array", "items": LIST_ITEMS[path]}},
            }
        responses[str(status)] = {
            "description": "OK",
            "content": {"application/json": {"schema": schema}},
        }
    if status == 201:
        responses["200"] = {
            "description": "Already there",
            "content": {"application/json": {"schema": answer}},
        }
    operation: dict[str, Any] = {
        "summary": summary,
        "description": f"Needs the scope `{scope}` ({SCOPES[scope].lower()}) with a token.",
        "security": [{"token": []}],
        "responses": responses,
    }
    parameters: list[Any] = [
        {
            "in": "path",
            "name": name,
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        }
        for name in ("collection_id", "badge_id", "email_id")
        if "{" + name + "}" in path
    ]
    if query is not None:
        parameters.append({"in": "query", "schema": query})
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    return operation


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """This API's OpenAPI 3 document."""
    key = "backpack.api_v1.openapi"
    if key not in current_app.extensions:
        current_app.extensions[key] = build_spec()
    response = json_response(current_app.extensions[key])
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
