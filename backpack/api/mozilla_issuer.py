"""Mozilla's issuer API: `/issuer.js` and the `/issuer/...` routes behind it.

`OpenBadges.issue(assertions, callback)` opens `/issuer/frame` in a popup (a cross-site
iframe would lose the earner's session cookie, which is SameSite=Lax); the earner accepts
there and the page posts `(errors, successes)` back to the opener. `issue_no_modal` posts
to `/issuer/frameless`, a full-page version. Both end in the one intake service.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from backpack.api.pushed_badges import award
from backpack.extensions import csrf, db
from backpack.links import external_url
from backpack.services import backpack_connect
from backpack.services.badge_intake import BadgeRefused, preview_badge, receive_badge
from backpack.services.errors import ServiceError

bp = Blueprint("mozilla_issuer", __name__)
MAX_ASSERTIONS = 20
INACCESSIBLE = frozenset(
    {"fetch_refused", "private_address", "unreachable", "fetch_timeout", "server_error"}
    | {"response_too_large", "too_many_redirects", "not_found", "http_error"}
)
MALFORMED = frozenset({"unrecognised_input", "input_too_large", "not_json", "json_too_deep"})


@bp.get("/issuer.js")
def issuer_js() -> Response:
    """The script issuer pages include to offer badges to this backpack."""
    root = external_url("main.index").rstrip("/")
    body = render_template("issuer/issuer.js", root=json.dumps(root))
    response = Response(body, mimetype="application/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def _assertions(values: list[str]) -> list[str]:
    return [v.strip() for v in values if v.strip()][:MAX_ASSERTIONS]


def _opener_origin(value: str | None) -> str | None:
    try:
        return backpack_connect.origin_of(value) if value else None
    except ServiceError:
        return None


@bp.get("/issuer/frame")
@login_required
def frame() -> str:
    """Show the offered badges and ask the earner to accept them."""
    return render_template(
        "issuer/offer.html",
        assertions=_assertions(request.args.getlist("assertion")),
        origin=_opener_origin(request.args.get("origin")) or "",
    )


@bp.post("/issuer/frameless")
@csrf.exempt  # posted by the issuer's page; it only leads to the confirmation page
def frameless() -> BaseResponse:
    """Take the issuer page's form and show the same confirmation page, after log-in."""
    query = [("assertion", a) for a in _assertions(request.form.getlist("assertions"))]
    return redirect(url_for("mozilla_issuer.frame") + "?" + urlencode(query), 303)


@bp.post("/issuer/frame")
@login_required
def accept_offer() -> str:
    """Store the badges the earner accepted; report back as OpenBadges.issue's callback."""
    assertions = _assertions(request.form.getlist("assertion"))
    errors: list[dict[str, str]] = []
    successes: list[str] = []
    for assertion in assertions:
        if request.form.get("decision") != "allow":
            errors.append({"assertion": assertion, "reason": "DENIED"})
            continue
        try:
            received = receive_badge(current_user, assertion, source="push")
        except BadgeRefused as refusal:
            errors.append({"assertion": assertion, "reason": _reason(refusal.code)})
            continue
        if received.created:
            successes.append(assertion)
        else:
            errors.append({"assertion": assertion, "reason": "EXISTS"})
    db.session.commit()
    return render_template(
        "issuer/result.html",
        result=json.dumps({"type": "OpenBadges.issue", "errors": errors, "successes": successes}),
        errors=errors,
        successes=successes,
        origin=_opener_origin(request.form.get("origin")) or "",
    )


def _reason(code: str) -> str:
    if code in INACCESSIBLE:
        return "INACCESSIBLE"
    if code in MALFORMED:
        return "MALFORMED"
    return "INVALID"


def _login_first() -> Response:
    login = url_for("auth.login")
    message = f"user is not logged in, redirect to {login}"
    return _json({"message": message, "redirect_to": login}, 403)


@bp.get("/issuer/assertion")
def preview() -> Response:
    """Verify an offered badge without storing it, as Mozilla's preview did."""
    if not current_user.is_authenticated:
        return _login_first()
    data = (request.args.get("assertion") or request.args.get("badge") or "").strip()
    if not data:
        return _json({"message": "must provide either url or signature"}, 400)
    try:
        preview = preview_badge(current_user, data)
    except BadgeRefused as refusal:
        return _json({"message": refusal.message}, 400)
    report = preview.report
    document: dict[str, Any] = {
        "exists": preview.held,
        "badge": report.assertion,
        "recipient": report.matched_identity or False,
    }
    if report.matched_identity:
        document["owner"] = True
    return _json(document)


@bp.post("/issuer/assertion")
def add() -> Response:
    """Award one badge to the logged-in earner (JSON; CSRF token in X-CSRFToken)."""
    if not current_user.is_authenticated:
        return _login_first()
    body = request.get_json(silent=True)
    data = body.get("assertion") or body.get("badge") if isinstance(body, dict) else None
    if not isinstance(data, str) or not data.strip():
        return _json({"message": "must provide either url or signature"}, 400)
    return award(current_user, data.strip())


def _json(document: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(document), status=status, mimetype="application/json")
