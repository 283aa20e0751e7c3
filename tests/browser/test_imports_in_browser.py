"""An earner follows a Mozilla ZIP import live in Chromium, as a real worker runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.live_server import BIN, ROOT, LiveServer
from tests.support.mozilla import export_zip, sample_badges

pytestmark = pytest.mark.browser
PASSWORD = "browser test passphrase"
ANN = "ann@example.org"
SCHOOL = "ann@school.example.edu"


def test_the_live_report_names_the_address_to_verify(browser: Browser, tmp_path: Path) -> None:
    # The page is open before the worker runs the job: what it shows at the end comes from
    # import_progress.js, which used to leave out "Verify ... to release its badges".
    archive = tmp_path / "mozilla.zip"
    archive.write_bytes(export_zip(sample_badges(ANN, SCHOOL)))
    settings = {
        "TASKS_SQLITE_PATH": str(tmp_path / "tasks.sqlite3"),
        "IMPORTS_DIR": str(tmp_path / "imports"),
    }
    with LiveServer(tmp_path, **settings) as server:
        subprocess.run(
            [Path(sys.executable).parent / "flask", "--app", "wsgi", "users", "create", ANN,
             "--password", PASSWORD],
            cwd=ROOT, env=server.env, check=True, capture_output=True,
        )  # fmt: skip
        page = browser.new_page()
        page.goto(f"{server.url}/login")
        page.get_by_label("Email address").fill(ANN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{server.url}/account/import/")
        page.get_by_label("The ZIP file Mozilla sent you").set_input_files(str(archive))
        page.get_by_role("button", name="Import my Mozilla badges").click()
        expect(page.locator("#import-status")).to_have_text("Waiting for its turn…")

        worker = subprocess.Popen(
            [BIN / "huey_consumer", "backpack.worker.queue", "--workers", "1"],
            cwd=ROOT, env=server.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            expect(page.locator("#import-status")).to_have_text("Done.", timeout=30_000)
        finally:
            worker.kill()
            worker.wait()
        notice = page.get_by_text(f"Verify {SCHOOL} in your settings to release its badges.")
        expect(notice).to_be_visible()
        expect(notice.get_by_role("link", name="settings")).to_have_attribute("href", "/account/")
        page.close()
