"""A test that needs a real service skips locally without it, and fails under CI."""

from __future__ import annotations

import pytest

from tests import services


def test_a_missing_service_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="under CI this test must run"):
        services.missing("PostgreSQL", "nothing listens")


def test_a_missing_service_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL is not available"):
        services.missing("PostgreSQL", "nothing listens")


def test_an_unreachable_port_is_reported_missing() -> None:
    from tests.live_server import free_port

    assert not services.port_open(f"postgresql://127.0.0.1:{free_port()}/x", 5432)


def test_a_missing_wrk_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(services.shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="wrk is not available"):
        services.require_wrk()


def test_a_missing_axe_core_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(services, "AXE_SCRIPT", services.Path("/nonexistent/axe.min.js"))
    with pytest.raises(pytest.fail.Exception, match="axe-core is not available"):
        services.require_axe()
