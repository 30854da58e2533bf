"""Browser smoke test: the dashboard served on loopback, every page opened in headless Chromium,
a screenshot per page saved, and no Streamlit error element anywhere.

Screenshots go to the test's own folder (`tmp_path/screenshots`), or to $DASHBOARD_SCREENSHOTS
when set (that is how docs/*.png are made). $DASHBOARD_WAREHOUSE names a DuckDB warehouse to
show instead of the small demo one the fixture builds, e.g. the real-data `make demo` warehouse:

    DASHBOARD_WAREHOUSE=adventure.duckdb DASHBOARD_SCREENSHOTS=docs \\
        .venv/bin/pytest tests/browser -m browser
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from adventure_elt.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

CHROMIUM = Path("/usr/bin/chromium")
# --headless and --user-data-dir are set through Playwright's own options.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# url path -> screenshot name; "" is the default page (revenue by category)
PAGES = {
    "": "categories",
    "new_customers": "new_customers",
    "order_status": "order_status",
    "geography": "geography",
    "web_traffic": "web_traffic",
    "live": "live",
}
TIMEOUT_MS = 60_000
ERROR_ELEMENTS = "[data-testid=stException], [data-testid=stAlertContentError]"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def browser_settings(request: pytest.FixtureRequest) -> Settings:
    """The warehouse to show: $DASHBOARD_WAREHOUSE, else the demo warehouse fixture."""
    given = os.environ.get("DASHBOARD_WAREHOUSE")
    if given:
        return Settings(duckdb_path=Path(given).resolve())
    settings: Settings = request.getfixturevalue("demo_warehouse")
    return settings


@pytest.fixture
def dashboard_url(browser_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """`streamlit run` of the app on a free loopback port, as `adventure-elt dashboard` runs it;
    yields its URL once Streamlit says it is serving, and stops it afterwards."""
    pytest.importorskip("streamlit", reason="the dashboard extra (streamlit) is not installed")
    from adventure_elt.dashboard.launch import dashboard_env, dashboard_url, streamlit_command

    port = _free_port()
    env = dashboard_env(browser_settings)
    env["HOME"] = str(tmp_path)  # Streamlit keeps a ~/.streamlit folder
    process = subprocess.Popen(
        streamlit_command("127.0.0.1", port),
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    ready = threading.Event()
    output: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode(errors="replace")
            output.append(line)
            if "URL:" in line:
                ready.set()
        ready.set()  # ended: let the test fail with the output

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        ready.wait(timeout=60)
        if process.poll() is not None or not any("URL:" in line for line in output):
            pytest.fail("Streamlit did not start:\n" + "".join(output))
        yield dashboard_url("127.0.0.1", port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def chromium() -> Path:
    """Debian's chromium, or Google Chrome (GitHub's runners have it); the test skips, saying
    so, where neither is installed."""
    found = CHROMIUM if CHROMIUM.is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found is None and (which := shutil.which(name)):
            found = Path(which)
    if found is None:
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    pytest.importorskip("playwright", reason="playwright (dev extra) is not installed")
    return found


def test_every_page_renders_in_chromium_without_error(
    chromium: Path, dashboard_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        # A persistent context is how Playwright takes --user-data-dir (a fresh profile).
        browser = playwright.chromium.launch_persistent_context(
            tmp_path / "chromium",
            executable_path=str(chromium),
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = browser.new_page()
            for path, name in PAGES.items():
                page.goto(f"{dashboard_url}/{path}", timeout=TIMEOUT_MS)
                # The script has run to its end and a chart (or a metric) has been drawn.
                page.wait_for_selector(
                    "[data-testid=stApp][data-test-script-state=notRunning]", timeout=TIMEOUT_MS
                )
                page.wait_for_selector(
                    "[data-testid=stMetric], [data-testid=stVegaLiteChart]", timeout=TIMEOUT_MS
                )
                page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
                page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                errors = page.locator(ERROR_ELEMENTS).all_inner_texts()
                if errors:
                    problems[name] = errors
                assert page.locator("[data-testid=stVegaLiteChart]").count() > 0, name
        finally:
            browser.close()
    assert not problems, problems
    assert sorted(p.stem for p in shots.glob("*.png")) == sorted(PAGES.values())
