"""Settings load in order (defaults, file, environment, test mapping); weak keys refuse to start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backpack import create_app
from backpack.config import ConfigError

GOOD_KEY = "k" * 48


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in (
        "BACKPACK_CONFIG",
        "BACKPACK_SECRET_KEY",
        "BACKPACK_ENVIRONMENT",
        "BACKPACK_SQLALCHEMY_DATABASE_URI",
        "BACKPACK_REDIS_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BACKPACK_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    return monkeypatch


def test_production_refuses_to_start_without_a_secret_key(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is missing"):
        create_app()


def test_production_refuses_a_short_secret_key(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("BACKPACK_SECRET_KEY", "changeme")
    with pytest.raises(ConfigError, match="shorter than 32"):
        create_app()


def test_development_writes_a_random_key_into_instance_and_keeps_it(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("BACKPACK_ENVIRONMENT", "development")
    app = create_app({"SECRET_KEY": None})
    key = app.config["SECRET_KEY"]
    assert len(key) >= 32
    key_file = Path(app.instance_path) / "secret_key"
    assert key_file.read_text().strip() == key
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert create_app({"SECRET_KEY": None}).config["SECRET_KEY"] == key


def test_settings_load_in_order_file_then_environment_then_test_mapping(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config_file = tmp_path / "settings.py"
    config_file.write_text(
        f"SECRET_KEY = {GOOD_KEY!r}\nMAIL_SENDER = 'from-file'\nPASSWORD_MIN_LENGTH = 12\n"
        "FETCH_TIMEOUT = 3.0\nBASE_URL = 'https://backpack.example.org'\n"
    )
    clean_env.setenv("BACKPACK_CONFIG", str(config_file))
    clean_env.setenv("BACKPACK_PASSWORD_MIN_LENGTH", "14")
    clean_env.setenv("BACKPACK_FETCH_ALLOW_PRIVATE", "1")
    app = create_app({"FETCH_TIMEOUT": 1.5})
    assert app.config["SECRET_KEY"] == GOOD_KEY
    assert app.config["MAIL_SENDER"] == "from-file"
    assert app.config["PASSWORD_MIN_LENGTH"] == 14
    assert app.config["FETCH_ALLOW_PRIVATE"] == 1
    assert app.config["FETCH_TIMEOUT"] == 1.5
    assert app.config["EMAIL_VERIFICATION_MAX_AGE"] == 24 * 3600


def test_every_default_setting_is_documented_in_config_example() -> None:
    from backpack.config import DEFAULTS

    example = (Path(__file__).parent.parent / "config.example.py").read_text()
    undocumented = [name for name in DEFAULTS if f"{name} =" not in example]
    assert undocumented == []


def test_production_refuses_to_start_without_an_https_base_url(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("BACKPACK_SECRET_KEY", GOOD_KEY)
    with pytest.raises(ConfigError, match="BASE_URL must be"):
        create_app()
    clean_env.setenv("BACKPACK_BASE_URL", "http://backpack.example.org")
    with pytest.raises(ConfigError, match="BASE_URL must be"):
        create_app()
    clean_env.setenv("BACKPACK_BASE_URL", "https://backpack.example.org")
    assert create_app().config["BASE_URL"] == "https://backpack.example.org"


def test_the_wsgi_entry_point_freezes_what_start_up_made(tmp_path: Path) -> None:
    # Without it each worker's full garbage collections walk every module and bundled
    # context again, pausing its requests for tens of milliseconds (issue 17).
    root = Path(__file__).resolve().parent.parent
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "BACKPACK_ENVIRONMENT": "production",
        "BACKPACK_SECRET_KEY": GOOD_KEY,
        "BACKPACK_BASE_URL": "https://backpack.example.org",
        "BACKPACK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    shown = subprocess.run(
        [sys.executable, "-c", "import gc, wsgi; print(gc.get_freeze_count())"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(shown.stdout) > 50_000
