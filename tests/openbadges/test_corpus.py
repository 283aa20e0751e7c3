"""Conformance: the reference verifiers' fixtures, with the outcomes their own tests expect.

The fixtures name issuers at example.org (and a.com, oldstyle.com). JSON fixtures are
rewritten to the local test server with `to_local` and served at their rewritten ids.
Signed fixtures cannot be rewritten without breaking their signatures, nor can baked
images without re-baking them, so those are verified through `ExampleOrgFetcher`, which
fetches example.org URLs from the local server, the way the Java validator's tests map
example.org to their `assets/` folder. Nothing is fetched from the internet.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backpack.openbadges.baking import unbake
from backpack.openbadges.http_exchange import DEFAULT_ACCEPT, FetchResponse
from backpack.openbadges.safe_fetcher import Fetcher
from tests.openbadges.issuer_site import sign
from tests.openbadges.verification_helpers import errors, message, verify, warnings
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import sign_like_mozilla

OB20 = "digital-credentials-public-validator/inspector-vc/src/test/resources/ob20"
COMPONENTS = "openbadges-validator-core/extracted_components"
MOZILLA_KEYS = "mozilla-openbadges-validator/test"
FIXTURE_HOSTS = ("example.org", "a.com", "oldstyle.com")
HEART = "openbadges-bakery/openbadges_bakery/testfiles/public_domain_heart.png"
# Where the reference verifier's components put their BadgeClass images (rewritten paths).
COMPONENT_IMAGES = (
    "/badgeclass_image",
    "/images/1",
    "/images/2",
    "/robotics-badge.png",
    "/beths-robot-badge.png",
)
NOBODY = "nobody@example.org"  # the hashed recipient of the 1.1 and 2.0 fixtures
TEST = "test@example.com"  # the recipient of the 0.5 and 1.0 fixtures


def to_local(value: Any, base: str) -> Any:
    """Rewrite the fixture hosts' URLs (and bare host names) in a document to `base`."""
    if isinstance(value, dict):
        return {key: to_local(item, base) for key, item in value.items()}
    if isinstance(value, list):
        return [to_local(item, base) for item in value]
    if not isinstance(value, str):
        return value
    for host in FIXTURE_HOSTS:
        for prefix in (f"https://www.{host}/", f"https://{host}/", f"http://{host}/"):
            if value.startswith(prefix):
                return base + value[len(prefix) :]
        if value in (f"https://{host}", f"http://{host}"):
            return base.rstrip("/")
        if value == host:
            return base.split("/")[2]
    return value


def serve_rewritten(server: LocalHTTPServer, document: Any, *paths: str) -> Any:
    """Serve a fixture rewritten to the server at its id's path and at `paths`."""
    local = to_local(document, server.url("/"))
    declared = local.get("id") if isinstance(local, dict) else None
    if isinstance(declared, str) and declared.startswith(server.url("/")):
        paths = (*paths, "/" + declared.removeprefix(server.url("/")))
    for path in paths:
        server.serve_json(path, local)
    return local


def serve_assets(server: LocalHTTPServer, corpus: Path, *, rewrite: bool) -> None:
    """Serve the Java validator's example.org assets at /<name>."""
    for path in sorted((corpus / OB20 / "assets").iterdir()):
        if path.suffix != ".json":
            server.serve(f"/{path.name}", path.read_bytes(), content_type="image/png")
        elif rewrite:
            serve_rewritten(server, json.loads(path.read_text()), f"/{path.name}")
        else:
            server.serve(f"/{path.name}", path.read_bytes(), content_type="application/ld+json")


def serve_linked_assets(server: LocalHTTPServer, corpus: Path, assertion: dict[str, Any]) -> None:
    """Serve the BadgeClass and issuer an assertion links to at their declared ids.

    Several assets declare the same id (all `issuer-with-allowed-origins*.json` say they are
    `.../issuer-with-allowed-origins`), and a document is fetched again from the id it
    declares; this serves the ones this assertion leads to there.
    """
    reference = assertion.get("badge")
    for _ in ("BadgeClass", "issuer"):
        if not isinstance(reference, str):
            return
        path = corpus / OB20 / "assets" / reference.rsplit("/", 1)[1]
        if not path.is_file():
            return
        document = json.loads(path.read_text())
        serve_rewritten(server, document)
        reference = document.get("issuer")


class ExampleOrgFetcher(Fetcher):
    """A fetcher that answers example.org URLs from the local server (for unrewritable fixtures)."""

    def __init__(self, server: LocalHTTPServer) -> None:
        super().__init__(allow_private=True)
        self.server = server

    def get(
        self,
        url: str,
        *,
        accept: str = DEFAULT_ACCEPT,
        conditional: Mapping[str, str] | None = None,
    ) -> FetchResponse:
        local = to_local(url, self.server.url("/"))
        response = super().get(local, accept=accept, conditional=conditional)
        # Report the URL asked for, as a real fetch of it would.
        return dataclasses.replace(response, url=url) if response.url == local else response


@pytest.fixture(autouse=True)
def component_images(http_server: LocalHTTPServer, corpus: Path) -> None:
    """Serve one PNG for every BadgeClass image the fixtures name, as badgecheck's tests do."""
    heart = (corpus / HEART).read_bytes()
    for path in COMPONENT_IMAGES:
        http_server.serve(path, heart, content_type="image/png")


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    fetcher = Fetcher(allow_private=True, timeout=5.0)
    yield fetcher
    fetcher.close()


@pytest.fixture
def example_org(http_server: LocalHTTPServer, corpus: Path) -> Iterator[ExampleOrgFetcher]:
    serve_assets(http_server, corpus, rewrite=False)
    fetcher = ExampleOrgFetcher(http_server)
    yield fetcher
    fetcher.close()


def ob20(corpus: Path, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((corpus / OB20 / name).read_text())
    return document


def component(corpus: Path, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((corpus / COMPONENTS / f"{name}.json").read_text())
    return document


@pytest.mark.parametrize(
    ("name", "warning"),
    [
        ("basic-assertion.json", None),
        ("basic-assertion-with-language.json", None),
        ("assertion-with-endorsements.json", None),
        ("basic-assertion-no-public-key.json", None),
        ("basic-assertion-with-allowed-origins.json", None),
        ("basic-assertion-with-allowed-origins-valid-starts-with.json", None),
        ("basic-assertion-with-allowed-origins-valid-multiple-starts-with.json", None),
        ("assertion-with-extension-node-basic.json", None),
        ("warning-issuer-non-http.json", "issuer_not_http"),
        ("warning-with-redirection.json", "id_differs"),
    ],
)
def test_java_validators_valid_hosted_badges_are_valid(
    http_server: LocalHTTPServer, corpus: Path, fetcher: Fetcher, name: str, warning: str | None
) -> None:
    serve_assets(http_server, corpus, rewrite=True)
    serve_linked_assets(http_server, corpus, ob20(corpus, name))
    badge = serve_rewritten(http_server, ob20(corpus, name))
    report = verify(json.dumps(badge), fetcher, recipients=[NOBODY])
    assert errors(report) == []
    assert report.recipient_matched is True
    if warning is not None:
        assert warning in warnings(report)


@pytest.mark.parametrize(
    ("name", "codes"),
    [
        ("basic-assertion-expired.json", ["expired"]),
        ("basic-assertion-expired-before-issued.json", ["expires_before_issued", "expired"]),
        ("basic-assertion-in-future.json", ["issued_in_future"]),
        ("basic-assertion-invalid-context.json", ["unknown_context"]),
        ("basic-assertion-invalid-type.json", ["wrong_type"]),
        ("assertion-with-data-image.json", ["invalid_property"]),
        ("basic-assertion-with-allowed-origins-invalid-starts-with.json", ["outside_issuer_scope"]),
        (
            "basic-assertion-with-allowed-origins-invalid-multiple-starts-with.json",
            ["outside_issuer_scope"],
        ),
    ],
)
def test_java_validators_invalid_hosted_badges_are_invalid(
    http_server: LocalHTTPServer, corpus: Path, fetcher: Fetcher, name: str, codes: list[str]
) -> None:
    serve_assets(http_server, corpus, rewrite=True)
    serve_linked_assets(http_server, corpus, ob20(corpus, name))
    badge = serve_rewritten(http_server, ob20(corpus, name))
    report = verify(json.dumps(badge), fetcher, recipients=[NOBODY])
    assert errors(report) == codes


def test_hosted_url_whose_document_names_another_id_moves_to_that_id(
    http_server: LocalHTTPServer, corpus: Path, fetcher: Fetcher
) -> None:
    serve_assets(http_server, corpus, rewrite=True)
    text = (corpus / OB20 / "redirected-validation-subject.json").read_text()
    # The fixture has // comments: hide the slashes of URLs as JSON escapes (\/), drop the
    # comments, and json.loads turns the escapes back into slashes.
    document = json.loads(re.sub(r"//[^\n]*", "", text.replace("://", ":\\/\\/")))
    serve_rewritten(http_server, document, "/beths-robotics-badge.json")
    report = verify(http_server.url("/beths-robotics-badge.json"), fetcher, recipients=[NOBODY])
    assert errors(report) == []
    assert "id_differs" in warnings(report)
    assert report.source_url == http_server.url("/altbadgeurl")


@pytest.mark.parametrize(
    ("name", "revoked"),
    [("simple.jwt", False), ("simple-not-revoked.jwt", False), ("simple-revoked.jwt", True)],
)
def test_java_validators_signed_badges(
    example_org: ExampleOrgFetcher, corpus: Path, name: str, revoked: bool
) -> None:
    report = verify((corpus / OB20 / name).read_text(), example_org, recipients=[NOBODY])
    assert report.revoked is revoked
    assert report.valid is not revoked
    assert report.recipient_matched is True
    if revoked:
        assert message(report, "revoked") == "Revoked by the issuer: A good reason, for sure"


@pytest.mark.parametrize(
    ("image", "recipients"),
    [
        (f"{OB20}/simple-badge.png", [NOBODY]),
        (
            "openbadges-validator-core/_extra_from_history/history/tests/testfiles/baked_heart.png",
            None,
        ),
    ],
)
def test_baked_2_0_images_verify_against_their_hosted_copies(
    example_org: ExampleOrgFetcher,
    http_server: LocalHTTPServer,
    corpus: Path,
    image: str,
    recipients: list[str] | None,
) -> None:
    data = (corpus / image).read_bytes()
    hosted = unbake(data).text.encode()  # the baked JSON, hosted as is
    http_server.serve("/beths-robotics-badge.json", hosted, content_type="application/ld+json")
    report = verify(data, example_org, recipients=recipients)
    assert errors(report) == []
    assert report.version == "2.0"


def test_baked_1_0_image_verifies_against_its_hosted_copy(
    example_org: ExampleOrgFetcher, http_server: LocalHTTPServer, corpus: Path
) -> None:
    data = (corpus / "openbadges-bakery/openbadges_bakery/testfiles/baked_heart.png").read_bytes()
    http_server.serve(
        "/badgeinstance1", unbake(data).text.encode(), content_type="application/json"
    )
    badge_class = {
        **component(corpus, "1_0_basic_badgeclass"),
        "issuer": "http://example.org/issuer-1-0",
    }
    http_server.serve_json("/badge1", badge_class)
    http_server.serve_json("/issuer-1-0", component(corpus, "1_0_basic_issuer"))
    report = verify(data, example_org, recipients=[TEST])
    assert errors(report) == []
    assert report.version == "1.0"
    assert report.badge is not None
    assert report.badge.issued_on == "2015-04-01T00:00:00+00:00"


def test_baked_svg_without_a_recipient_is_invalid(
    example_org: ExampleOrgFetcher, http_server: LocalHTTPServer, corpus: Path
) -> None:
    data = (corpus / "openbadges-bakery/openbadges_bakery/testfiles/baked_example.svg").read_bytes()
    http_server.serve(
        "/assertion.json", unbake(data).text.encode(), content_type="application/json"
    )
    report = verify(data, example_org, recipients=None)
    assert "missing_property" in errors(report)
    assert "recipient" in message(report, "missing_property")


@pytest.mark.parametrize(
    ("version", "recipients", "extra"),
    [("2_0", [NOBODY], []), ("1_1", [NOBODY], [])],
)
def test_reference_verifiers_basic_badges_are_valid(
    http_server: LocalHTTPServer,
    corpus: Path,
    fetcher: Fetcher,
    version: str,
    recipients: list[str],
    extra: list[str],
) -> None:
    for kind in ("badgeclass", "issuer"):
        serve_rewritten(http_server, component(corpus, f"{version}_basic_{kind}"))
    badge = serve_rewritten(http_server, component(corpus, f"{version}_basic_assertion"))
    report = verify(json.dumps(badge), fetcher, recipients=recipients)
    assert errors(report) == extra
    assert report.version == version.replace("_", ".")


@pytest.mark.parametrize(
    ("name", "path", "codes"),
    [
        ("1_0_basic_assertion", "/instance", []),
        ("1_0_basic_assertion_with_extra_properties", "/instance3", []),
        ("1_0_assertion_with_errors", "/instance", ["invalid_property", "recipient_mismatch"]),
    ],
)
def test_reference_verifiers_1_0_badges(
    http_server: LocalHTTPServer,
    corpus: Path,
    fetcher: Fetcher,
    name: str,
    path: str,
    codes: list[str],
) -> None:
    serve_rewritten(http_server, component(corpus, "1_0_basic_badgeclass"), "/badgeclass")
    serve_rewritten(http_server, component(corpus, "1_0_basic_issuer"), "/issuer")
    badge = serve_rewritten(http_server, component(corpus, name), path)
    report = verify(json.dumps(badge), fetcher, recipients=[TEST])
    assert errors(report) == codes
    assert report.version == "1.0"


@pytest.mark.parametrize("name", ["0_5_assertion", "0_5_1_assertion"])
def test_reference_verifiers_0_5_badges_verify_from_their_url(
    http_server: LocalHTTPServer, corpus: Path, fetcher: Fetcher, name: str
) -> None:
    serve_rewritten(http_server, component(corpus, name), f"/{name}.json")
    report = verify(http_server.url(f"/{name}.json"), fetcher, recipients=[TEST])
    assert errors(report) == []
    assert report.version == "0.5"
    assert report.matched_identity == TEST


def mozilla_key(corpus: Path, name: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key((corpus / MOZILLA_KEYS / name).read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@pytest.mark.parametrize(
    ("private_key", "codes"),
    [("rsa-private.pem", []), ("rsa-wrong-private.pem", ["jws_invalid_signature"])],
)
def test_1_0_signed_badge_with_the_mozilla_validators_keys(
    http_server: LocalHTTPServer, corpus: Path, fetcher: Fetcher, private_key: str, codes: list[str]
) -> None:
    http_server.serve("/public.pem", (corpus / MOZILLA_KEYS / "rsa-public.pem").read_bytes())
    serve_rewritten(http_server, component(corpus, "1_0_basic_badgeclass"), "/badgeclass")
    serve_rewritten(http_server, component(corpus, "1_0_basic_issuer"), "/issuer")
    assertion = to_local(component(corpus, "1_0_basic_assertion"), http_server.url("/"))
    assertion["verify"] = {"type": "signed", "url": http_server.url("/public.pem")}
    token = sign(assertion, mozilla_key(corpus, private_key))
    report = verify(token, fetcher, recipients=[TEST])
    assert errors(report) == codes


@pytest.mark.parametrize(
    ("private_key", "codes"),
    [("rsa-private.pem", []), ("rsa-wrong-private.pem", ["jws_invalid_signature"])],
)
def test_1_0_badge_signed_as_mozillas_validator_tests_sign_it(
    http_server: LocalHTTPServer, corpus: Path, fetcher: Fetcher, private_key: str, codes: list[str]
) -> None:
    # Mozilla's validator tests signed with the header {"alg": "rs256"}, in lower case.
    http_server.serve("/public.pem", (corpus / MOZILLA_KEYS / "rsa-public.pem").read_bytes())
    serve_rewritten(http_server, component(corpus, "1_0_basic_badgeclass"), "/badgeclass")
    serve_rewritten(http_server, component(corpus, "1_0_basic_issuer"), "/issuer")
    assertion = to_local(component(corpus, "1_0_basic_assertion"), http_server.url("/"))
    assertion["verify"] = {"type": "signed", "url": http_server.url("/public.pem")}
    token = sign_like_mozilla(assertion, mozilla_key(corpus, private_key))
    report = verify(token, fetcher, recipients=[TEST])
    assert errors(report) == codes


def test_open_badges_3_baked_credential_goes_to_the_3_0_verifier(
    corpus: Path, fetcher: Fetcher
) -> None:
    # Its key at example.com is out of this fetcher's reach; tests/openbadges/credentials/
    # verify it with the key served.
    report = verify((corpus / OB20 / "../ob30/simple-json.png").read_bytes(), fetcher)
    assert report.version == "3.0"
    assert "unsupported_version" not in errors(report)


def test_mozilla_bakerys_svg_with_a_json_body_that_is_no_badge_is_reported(
    corpus: Path, fetcher: Fetcher
) -> None:
    data = (corpus / "mozilla-openbadges-bakery/test/baked.svg").read_bytes()
    assert errors(verify(data, fetcher)) == ["not_a_badge"]


def test_mozilla_bakerys_svg_with_malformed_json_is_looked_up_at_its_verify_url(
    corpus: Path, example_org: ExampleOrgFetcher
) -> None:
    data = (corpus / "mozilla-openbadges-bakery/test/bad-json.svg").read_bytes()
    report = verify(data, example_org)
    # http://example.org hosts no badge in the fixtures: the URL was tried, and says so.
    assert errors(report) == ["not_found"]
    assert "baked_json_unreadable" in warnings(report)
