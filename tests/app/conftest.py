"""Fixtures for browser tests: headless Debian Chromium, offline (see :mod:`tests.app.served`).

The tests skip when ``/usr/bin/chromium`` is missing. Every request that leaves 127.0.0.1
is aborted; a test fails when any was attempted or when a local request failed.
"""

import gc

import pytest

from tests.app.served import CHROMIUM, CHROMIUM_ARGS, Traffic


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()
    gc.collect()  # playwright's dead greenlets now, not mid-import (CPython 3.11: ast SystemError)


@pytest.fixture
def browser_context(chromium):
    """A fresh context (tabs share it); asserts at the end that the app stayed offline."""
    traffic = Traffic()
    context = chromium.new_context(viewport={"width": 1400, "height": 2000})
    context.route("**/*", traffic.route)
    context.on("requestfailed", traffic.on_failed)
    yield context
    try:
        traffic.check()
    finally:
        context.close()
