"""The Open Badges 3.0 API: discovery, registration, consent, credentials, profile, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, EmailAddress, OAuthToken
from tests.conftest import Accounts
from tests.openbadges.credential_issuer import ISSUER_HOST, CredentialIssuer
from tests.support.badge_rows import make_badge, make_credential_badge
from tests.support.http_server import LocalHTTPServer
from tests.support.oauth import Platform, anonymous, consent, query
from tests.support.ob3_client import (
    ALL_OB3_SCOPES,
    API,
    PROFILE_READ,
    READ,
    connect_ob3,
    register_ob3,
)

ANN = "ann@example.org"
MAJOR = {"failure", "processing", "success", "unsupported"}


@pytest.fixture(autouse=True)
def _http_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def wallet(badge_app: Flask, earner: Accounts) -> Platform:
    """A 3.0 client Ann connected with every scope."""
    connected, _token = connect_ob3(badge_app, earner.client)
    return connected


@pytest.fixture
def issuer3(badge_app: Flask) -> Iterator[CredentialIssuer]:
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        issuer = CredentialIssuer(server)
        fetcher = issuer.use_in(badge_app)
        yield issuer
        fetcher.close()


def _user_id(app: Flask, address: str = ANN) -> int:
    with app.app_context():
        email = db.session.scalar(sa.select(EmailAddress).where(EmailAddress.normalised == address))
        assert email is not None
        return email.user_id


def _assert_status_info(answer: Any, status: int, minor: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    info: dict[str, Any] = answer.json()
    assert info["imsx_codeMajor"] in MAJOR
    assert info["imsx_severity"] == "error"
    [field] = info["imsx_codeMinor"]["imsx_codeMinorField"]
    assert field["imsx_codeMinorFieldValue"] == minor
    return info


# Discovery and registration


def test_discovery_describes_the_api_and_where_to_get_tokens(app: Flask) -> None:
    answer = app.test_client().get(f"{API}/discovery")
    assert answer.status_code == 200
    document = answer.get_json()
    assert document["openapi"].startswith("3.0")
    for name in ("title", "termsOfService", "x-imssf-privacyPolicyUrl", "x-imssf-image"):
        assert document["info"][name]
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    flow = scheme["flows"]["authorizationCode"]
    assert scheme["x-imssf-registrationUrl"] == "http://backpack.test/oauth/register/ob3"
    assert flow["authorizationUrl"] == "http://backpack.test/oauth/authorize"
    assert flow["tokenUrl"] == flow["refreshUrl"] == "http://backpack.test/oauth/token"
    assert set(flow["scopes"]) == set(ALL_OB3_SCOPES.split())
    assert document["servers"] == [{"url": "http://backpack.test/ims/ob/v3p0"}]
    assert "Bearer" not in answer.headers.get("WWW-Authenticate", "")


def test_discovery_is_cached_by_etag(app: Flask) -> None:
    client = app.test_client()
    first = client.get(f"{API}/discovery")
    assert first.headers["ETag"]
    assert "max-age=3600" in first.headers["Cache-Control"]
    again = client.get(f"{API}/discovery", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_discovery_is_rate_limited(app_factory: Any) -> None:
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_OB3_DISCOVERY="2 per minute")
    client = app.test_client()
    statuses = [client.get(f"{API}/discovery").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_registration_echoes_metadata_with_the_client_credentials(app: Flask) -> None:
    answer = register_ob3(app)
    assert answer.status_code == 201
    info = answer.json()
    for name in ("client_id", "client_secret", "client_id_issued_at", "client_secret_expires_at"):
        assert name in info
    assert info["scope"] == ALL_OB3_SCOPES
    assert info["software_id"] == "example-wallet"
    assert info["token_endpoint_auth_method"] == "client_secret_basic"


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"logo_uri": None}, "logo_uri"),
        ({"software_version": None}, "software_version"),
        ({"scope": None}, "scope"),
        ({"token_endpoint_auth_method": "client_secret_post"}, "client_secret_basic"),
        ({"tos_uri": "https://elsewhere.example/terms"}, "host"),
        ({"redirect_uris": ["http://issuer.example/back"]}, "https"),
        ({"scope": "https://purl.imsglobal.org/spec/ob/v2p1/scope/assertion.readonly"}, "scope"),
        ({"redirect_uris": "https://issuer.example/back"}, "list"),
    ],
)
def test_registration_refuses_what_the_30_rules_forbid(
    app: Flask, overrides: dict[str, Any], says: str
) -> None:
    answer = register_ob3(app, **overrides)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("invalid_")
    assert says in answer.json()["error_description"]


# Authorization


def test_state_is_required(badge_app: Flask, earner: Accounts) -> None:
    platform = Platform(badge_app, register_ob3(badge_app).json(), scope=ALL_OB3_SCOPES)
    url = platform.authorization_url().replace("&state=", "&dropped=")
    answer = earner.client.get(url.removeprefix("http://backpack.test"))
    assert answer.status_code == 302
    assert query(answer.headers["Location"])["error"] == "invalid_request"


def test_pkce_s256_is_required(badge_app: Flask, earner: Accounts) -> None:
    platform = Platform(badge_app, register_ob3(badge_app).json(), scope=ALL_OB3_SCOPES)
    for extra in ({"code_challenge": None}, {"code_challenge_method": "plain"}):
        url = platform.authorization_url(**extra)
        answer = earner.client.get(url.removeprefix("http://backpack.test"))
        assert query(answer.headers["Location"])["error"] == "invalid_request"


def test_a_reused_code_is_refused_and_revokes_what_it_issued(
    badge_app: Flask, earner: Accounts
) -> None:
    platform = Platform(badge_app, register_ob3(badge_app).json(), scope=ALL_OB3_SCOPES)
    location = consent(earner.client, platform.authorization_url())
    token = platform.exchange(location)
    assert platform.client.get(f"{API}/profile").status_code == 200

    code = query(location)["code"]
    again = platform.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": platform.info["redirect_uris"][0],
            "code_verifier": platform.verifier,
        },
        auth=(platform.info["client_id"], platform.info["client_secret"]),
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    _assert_status_info(platform.client.get(f"{API}/profile"), 401, "unauthorizedrequest")
    with badge_app.app_context():
        [row] = db.session.scalars(sa.select(OAuthToken)).all()
        assert row.access_token_revoked_at is not None
        assert row.refresh_token_revoked_at is not None
    assert token["refresh_token"]


# Reading credentials


def _stored_payload(app: Flask, badge_id: int) -> str:
    with app.app_context():
        badge = db.session.get(Badge, badge_id)
        assert badge is not None
        return badge.original_payload


def test_credentials_lists_accepted_30_credentials_only_verbatim(
    badge_app: Flask, wallet: Platform
) -> None:
    ann = _user_id(badge_app)
    kept = make_credential_badge(badge_app, ann)
    make_credential_badge(
        badge_app, ann, status="pending", edit=lambda c: c.update(id="urn:uuid:pending")
    )
    make_badge(badge_app, ann, name="A 2.0 badge")

    answer = wallet.client.get(f"{API}/credentials")
    assert answer.status_code == 200
    assert answer.headers["X-Total-Count"] == "1"
    body = answer.json()
    assert set(body) == {"credential", "compactJwsString"}
    assert body["compactJwsString"] == []
    [credential] = body["credential"]
    assert credential == json.loads(_stored_payload(badge_app, kept))
    assert _stored_payload(badge_app, kept).strip() in answer.text


def test_a_2_0_badge_stays_on_badge_connect(badge_app: Flask, earner: Accounts) -> None:
    from tests.support.oauth import connect

    ann = _user_id(badge_app)
    make_credential_badge(badge_app, ann)
    make_badge(badge_app, ann, name="A 2.0 badge")
    platform, _token = connect(badge_app, earner.client)
    body = platform.client.get("/ims/ob/v2p1/assertions").json()
    assert [a["badge"]["name"] for a in body["assertions"]] == ["A 2.0 badge"]


def test_credentials_pages_with_links(badge_app: Flask, wallet: Platform) -> None:
    ann = _user_id(badge_app)
    for number in range(5):
        make_credential_badge(badge_app, ann, edit=lambda c, n=number: c.update(id=f"urn:n:{n}"))

    first = wallet.client.get(f"{API}/credentials", params={"limit": 2})
    assert first.headers["X-Total-Count"] == "5"
    links = first.headers["Link"]
    assert 'offset=0>; rel="first"' in links
    assert 'offset=4>; rel="last"' in links
    assert 'offset=2>; rel="next"' in links
    assert 'rel="prev"' not in links
    ids = [c["id"] for c in first.json()["credential"]]
    page = first
    while 'rel="next"' in page.headers["Link"]:
        next_url = next(
            part.split(">")[0].lstrip(" <")
            for part in page.headers["Link"].split(",")
            if 'rel="next"' in part
        )
        page = wallet.client.get(next_url)
        ids += [c["id"] for c in page.json()["credential"]]
    assert 'rel="prev"' in page.headers["Link"]
    assert sorted(ids) == [f"urn:n:{n}" for n in range(5)]


@pytest.mark.parametrize(
    "params", [{"limit": "0"}, {"limit": "x"}, {"offset": "-1"}, {"since": "yesterday"}]
)
def test_bad_paging_is_refused_as_status_info(wallet: Platform, params: dict[str, str]) -> None:
    answer = wallet.client.get(f"{API}/credentials", params=params)
    _assert_status_info(answer, 400, "invalid_query_parameter")


def test_since_filters_by_arrival(badge_app: Flask, wallet: Platform) -> None:
    make_credential_badge(badge_app, _user_id(badge_app))
    later = wallet.client.get(f"{API}/credentials", params={"since": "2999-01-01T00:00:00Z"})
    assert later.json() == {"credential": [], "compactJwsString": []}
    earlier = wallet.client.get(f"{API}/credentials", params={"since": "2000-01-01T00:00:00Z"})
    assert len(earlier.json()["credential"]) == 1


def test_someone_elses_credentials_are_never_listed(
    badge_app: Flask, earner: Accounts, wallet: Platform
) -> None:
    earner.create("bob@example.org", name="Bob")
    make_credential_badge(badge_app, _user_id(badge_app, "bob@example.org"))
    assert wallet.client.get(f"{API}/credentials").json()["credential"] == []


def test_consent_can_limit_a_grant_to_chosen_collections(
    badge_app: Flask, earner: Accounts
) -> None:
    from backpack.models import Collection, CollectionItem

    ann = _user_id(badge_app)
    shared = make_credential_badge(badge_app, ann, edit=lambda c: c.update(id="urn:shared"))
    make_credential_badge(badge_app, ann, edit=lambda c: c.update(id="urn:private"))
    with badge_app.app_context():
        collection = Collection(user_id=ann, name="For employers")
        collection.items.append(CollectionItem(badge_id=shared))
        db.session.add(collection)
        db.session.commit()
        collection_id = collection.id

    platform, _token = connect_ob3(badge_app, earner.client, collections=[collection_id])
    body = platform.client.get(f"{API}/credentials").json()
    assert [c["id"] for c in body["credential"]] == ["urn:shared"]
    # The limit survives a refresh.
    platform.client.refresh_token("/oauth/token")
    body = platform.client.get(f"{API}/credentials").json()
    assert [c["id"] for c in body["credential"]] == ["urn:shared"]


def test_a_forged_collection_of_someone_else_grants_nothing(
    badge_app: Flask, earner: Accounts
) -> None:
    from backpack.models import Collection, CollectionItem
    from tests.conftest import post_form
    from tests.support.oauth import local

    earner.create("bob@example.org", name="Bob")
    bob = _user_id(badge_app, "bob@example.org")
    bobs = make_credential_badge(badge_app, bob)
    make_credential_badge(badge_app, _user_id(badge_app))
    with badge_app.app_context():
        collection = Collection(user_id=bob, name="Bob's")
        collection.items.append(CollectionItem(badge_id=bobs))
        db.session.add(collection)
        db.session.commit()
        bobs_collection = collection.id
    platform = Platform(badge_app, register_ob3(badge_app).json(), scope=ALL_OB3_SCOPES)
    page = local(platform.authorization_url())
    answer = post_form(
        earner.client, page, {"decision": "allow", "collections": [str(bobs_collection), "x"]}
    )
    platform.exchange(str(answer.headers["Location"]))
    assert platform.client.get(f"{API}/credentials").json()["credential"] == []


# Tokens and scopes


def test_a_missing_or_bad_token_is_a_401_status_info(badge_app: Flask) -> None:
    with anonymous(badge_app) as http:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eA=="}):
            answer = http.get(f"{API}/credentials", headers=headers)
            _assert_status_info(answer, 401, "unauthorizedrequest")


def test_a_token_without_the_scope_is_a_403(badge_app: Flask, earner: Accounts) -> None:
    platform, _token = connect_ob3(badge_app, earner.client, scope=PROFILE_READ)
    _assert_status_info(platform.client.get(f"{API}/credentials"), 403, "forbidden")
    _assert_status_info(
        platform.client.post(f"{API}/credentials", json={"@context": []}), 403, "forbidden"
    )
    _assert_status_info(platform.client.put(f"{API}/profile", json={}), 403, "forbidden")


def test_a_badge_connect_token_cannot_use_the_30_api(badge_app: Flask, earner: Accounts) -> None:
    from tests.support.oauth import connect

    platform, _token = connect(badge_app, earner.client)
    _assert_status_info(platform.client.get(f"{API}/credentials"), 403, "forbidden")


def test_unknown_paths_and_methods_answer_status_info(wallet: Platform) -> None:
    _assert_status_info(wallet.client.get(f"{API}/assertions"), 404, "not_found")
    _assert_status_info(wallet.client.delete(f"{API}/credentials"), 405, "not_allowed")


# Upserting credentials


def test_upsert_keeps_a_credential_201_then_200_echoing_it(
    badge_app: Flask, wallet: Platform, issuer3: CredentialIssuer
) -> None:
    text = json.dumps(issuer3.sign(issuer3.credential(recipient=ANN)), indent=1)
    headers = {"Content-Type": "application/vc+ld+json"}
    created = wallet.client.post(f"{API}/credentials", content=text, headers=headers)
    assert created.status_code == 201, created.text
    assert created.text == text
    assert created.headers["Content-Type"].startswith("application/vc+ld+json")
    again = wallet.client.post(f"{API}/credentials", content=text, headers=headers)
    assert again.status_code == 200
    assert again.text == text
    with badge_app.app_context():
        [badge] = db.session.scalars(sa.select(Badge)).all()
        assert badge.source == "push"
        assert badge.original_payload == text


def test_upsert_takes_a_vc_jwt_as_text(
    badge_app: Flask, wallet: Platform, issuer3: CredentialIssuer
) -> None:
    token = issuer3.jwt(issuer3.credential(recipient=ANN), alg="ES256")
    answer = wallet.client.post(
        f"{API}/credentials", content=token, headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 201, answer.text
    assert answer.text == token
    listed = wallet.client.get(f"{API}/credentials").json()
    assert listed == {"credential": [], "compactJwsString": [token]}


def test_someone_elses_credential_is_refused(
    badge_app: Flask, wallet: Platform, issuer3: CredentialIssuer
) -> None:
    signed = issuer3.sign(issuer3.credential(recipient="bob@example.org"))
    answer = wallet.client.post(f"{API}/credentials", json=signed)
    info = _assert_status_info(answer, 400, "invalid_data")
    assert "recipient_mismatch" in info["imsx_description"]
    with badge_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Badge)) == 0


def test_a_tampered_credential_is_refused(wallet: Platform, issuer3: CredentialIssuer) -> None:
    signed = issuer3.sign(issuer3.credential(recipient=ANN))
    signed["name"] = "Something else"
    _assert_status_info(wallet.client.post(f"{API}/credentials", json=signed), 400, "invalid_data")


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('"a string"', "application/vc+ld+json", 400),
        ("[" * 100_000, "application/json", 400),
        ('{"a":' * 5000 + "1" + "}" * 5000, "application/json", 400),
        ("https://issuer.example/credential.json", "text/plain", 400),
        ("not.a.jws!", "text/plain", 400),
        ("\udcff", "text/plain", 400),
        ("{}", "application/xml", 415),
        ("{}", "", 415),
        (
            '{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": 7}',
            "application/json",
            400,
        ),
    ],
)
def test_bad_bodies_are_refused_with_a_reason(
    wallet: Platform, body: str, content_type: str, status: int
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = wallet.client.post(
        f"{API}/credentials", content=body.encode("utf-8", "surrogateescape"), headers=headers
    )
    info = _assert_status_info(answer, status, "invalid_data")
    assert info["imsx_description"]


# Profile


def test_profile_shows_name_and_verified_addresses_only(
    badge_app: Flask, earner: Accounts, wallet: Platform
) -> None:
    earner.add_email("ann.unverified@example.org")
    profile = wallet.client.get(f"{API}/profile").json()
    assert profile["type"] == ["Profile"]
    assert profile["name"] == "Ann"
    assert profile["email"] == ANN
    assert [i["identifier"] for i in profile["otherIdentifier"]] == [ANN]


def test_put_profile_changes_the_name_and_adds_unverified_addresses(
    badge_app: Flask, wallet: Platform
) -> None:
    profile = wallet.client.get(f"{API}/profile").json()
    profile["name"] = "Ann Example"
    profile["otherIdentifier"].append(
        {
            "type": "IdentifierEntry",
            "identifier": "ann@work.example",
            "identifierType": "emailAddress",
        }
    )
    answer = wallet.client.put(f"{API}/profile", json=profile)
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "Ann Example"
    assert "ann@work.example" not in answer.text  # not verified yet
    with badge_app.app_context():
        added = db.session.scalar(
            sa.select(EmailAddress).where(EmailAddress.normalised == "ann@work.example")
        )
        assert added is not None
        assert added.verified_at is None


@pytest.mark.parametrize(
    "change",
    [
        {"address": {"type": "Address"}},
        {"id": "urn:uuid:someone-else"},
        {"name": ["Ann"]},
        {"otherIdentifier": [{"identifier": "+15555555555", "identifierType": "phoneNumber"}]},
        {"otherIdentifier": "ann@example.org"},
        {"email": "not an address"},
    ],
)
def test_put_profile_refuses_what_it_cannot_store(
    badge_app: Flask, wallet: Platform, change: dict[str, Any]
) -> None:
    profile = wallet.client.get(f"{API}/profile").json()
    answer = wallet.client.put(f"{API}/profile", json={**profile, **change})
    _assert_status_info(answer, 400, "invalid_data")
    assert wallet.client.get(f"{API}/profile").json()["name"] == "Ann"


def test_profile_needs_its_scope(badge_app: Flask, earner: Accounts) -> None:
    platform, _token = connect_ob3(badge_app, earner.client, scope=READ)
    _assert_status_info(platform.client.get(f"{API}/profile"), 403, "forbidden")


def test_a_newer_copy_replaces_the_held_one_with_200(
    badge_app: Flask, wallet: Platform, issuer3: CredentialIssuer
) -> None:
    older = issuer3.sign(issuer3.credential(recipient=ANN, id="urn:uuid:same"))
    newer = issuer3.sign(
        issuer3.credential(recipient=ANN, id="urn:uuid:same", valid_from="2025-01-01T00:00:00Z")
    )
    assert wallet.client.post(f"{API}/credentials", json=older).status_code == 201
    replaced = wallet.client.post(f"{API}/credentials", json=newer)
    assert replaced.status_code == 200, replaced.text
    [listed] = wallet.client.get(f"{API}/credentials").json()["credential"]
    assert listed["validFrom"] == "2025-01-01T00:00:00Z"


def test_a_2_0_assertion_is_refused_with_nothing_stored(
    badge_app: Flask, wallet: Platform, issuer: Any
) -> None:
    assertion = issuer.award(ANN)
    answer = wallet.client.post(f"{API}/credentials", json=assertion)
    info = _assert_status_info(answer, 400, "invalid_data")
    assert "/ims/ob/v2p1" in info["imsx_description"]
    with badge_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Badge)) == 0


def test_the_rate_limit_answers_status_info(app_factory: Any) -> None:
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_OB3_DISCOVERY="1 per minute")
    client = app.test_client()
    client.get(f"{API}/discovery")
    answer = client.get(f"{API}/discovery")
    assert answer.status_code == 429
    assert answer.get_json()["imsx_codeMinor"]["imsx_codeMinorField"][0] == {
        "imsx_codeMinorFieldName": "sourcedId",
        "imsx_codeMinorFieldValue": "server_busy",
    }


def test_consent_offers_collections_only_to_readers(badge_app: Flask, earner: Accounts) -> None:
    from backpack.models import Collection
    from tests.support.oauth import local

    with badge_app.app_context():
        db.session.add(Collection(user_id=_user_id(badge_app), name="For employers"))
        db.session.commit()
    for scope, offered in ((READ, True), (PROFILE_READ, False)):
        platform = Platform(badge_app, register_ob3(badge_app).json(), scope=scope)
        page = earner.client.get(local(platform.authorization_url())).get_data(as_text=True)
        assert ("For employers" in page) is offered


def test_badge_connect_honours_the_chosen_collections(badge_app: Flask, earner: Accounts) -> None:
    from backpack.models import Collection, CollectionItem
    from tests.support.oauth import ALL_SCOPES, register
    from tests.support.ob3_client import consent_with_collections

    ann = _user_id(badge_app)
    shared = make_badge(badge_app, ann, name="Shared")
    make_badge(badge_app, ann, name="Private")
    with badge_app.app_context():
        collection = Collection(user_id=ann, name="For employers")
        collection.items.append(CollectionItem(badge_id=shared))
        db.session.add(collection)
        db.session.commit()
        collection_id = collection.id
    platform = Platform(badge_app, register(badge_app), scope=ALL_SCOPES)
    platform.exchange(
        consent_with_collections(earner.client, platform.authorization_url(), [collection_id])
    )
    body = platform.client.get("/ims/ob/v2p1/assertions").json()
    assert [a["badge"]["name"] for a in body["assertions"]] == ["Shared"]


def test_a_page_larger_than_served_is_cut_to_the_largest(
    badge_app: Flask, wallet: Platform
) -> None:
    make_credential_badge(badge_app, _user_id(badge_app))
    answer = wallet.client.get(f"{API}/credentials", params={"limit": 5000})
    assert answer.status_code == 200
    assert "limit=100&offset=0" in answer.headers["Link"]


def test_discovery_describes_every_route(app: Flask) -> None:
    document = app.test_client().get(f"{API}/discovery").get_json()
    routes = {
        (rule.rule.removeprefix(API), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("ob3.")
        and rule.endpoint not in ("ob3.not_found", "ob3.method_not_allowed")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    assert documented == routes


def test_connected_apps_says_which_collections_a_grant_sees(
    badge_app: Flask, earner: Accounts
) -> None:
    from backpack.models import Collection

    with badge_app.app_context():
        collection = Collection(user_id=_user_id(badge_app), name="For employers")
        db.session.add(collection)
        db.session.commit()
        collection_id = collection.id
    connect_ob3(badge_app, earner.client, collections=[collection_id])
    page = earner.client.get("/account/connected-apps/").get_data(as_text=True)
    assert "Only the badges in: For employers" in page
