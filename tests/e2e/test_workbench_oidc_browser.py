"""Signing in and out through the organisation's OpenID Connect provider in a real browser (Debian's chromium) on
the real stack: the sign-in page's button, the provider (on loopback, tests/oidc_provider.py) approving, the page of
the mapped role, and sign-out through the provider's end_session back to the sign-in page. axe-core and
screenshots as in test_workbench_browser.py.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.e2e import test_workbench_browser as walk

# The walk's browser (one per module), screenshot folder and axe-core check.
browser, shots, accessible = walk.browser, walk.shots, walk.accessible

pytestmark = pytest.mark.e2e


async def through_the_provider(browser, workbench, identity_provider, claims: dict) -> tuple[Page, list[str]]:
    """A fresh browser that clicks the provider's button on the sign-in page; the URLs it requested on the way."""
    identity_provider.mode, identity_provider.claims = "honest", claims
    context = await browser.new_context(locale="nl-NL")
    page = await context.new_page()
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    await page.goto(f"{workbench.url}/sign-in")
    await page.get_by_role("link", name="Inloggen via uw organisatie").click()
    return page, visited


@pytest.mark.timeout(600)  # the first e2e test of a run starts the whole system
async def test_a_coordinator_signs_in_and_out_through_the_organisations_provider(browser, workbench,
                                                                                 identity_provider, shots):
    claims = {"groeiruimte_role": "coordinator", "groeiruimte_organisation": "taskforce", "name": "Femke de Vries"}
    page, visited = await through_the_provider(browser, workbench, identity_provider, claims)
    await page.wait_for_url(f"{workbench.url}/board")
    assert any(url.startswith(f"{identity_provider.issuer}/authorize?") for url in visited)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Casusoverzicht")
    await expect(page.locator("form.sign-out .who")).to_have_text("Femke de Vries (taskforce)")
    await page.screenshot(path=str(shots / "board-oidc.png"), full_page=True)

    id_token, asked = identity_provider.issued[-1], len(identity_provider.sign_outs)
    await page.get_by_role("button", name="Uitloggen").click()
    await page.wait_for_url(f"{workbench.url}/sign-in")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")
    assert any(url.startswith(f"{identity_provider.issuer}/end-session?") for url in visited)
    (ended,) = identity_provider.sign_outs[asked:]
    assert ended["id_token_hint"] == id_token
    assert ended["post_logout_redirect_uri"] == f"{workbench.url}/sign-out/done" and ended["state"]
    await expect(page.get_by_role("link", name="Inloggen via uw organisatie")).to_be_visible()
    await accessible(page, shots, "sign-in-oidc")  # the sign-in page with the provider's button

    await page.goto(f"{workbench.url}/board")  # the session has ended: sign in again
    await page.wait_for_url(f"{workbench.url}/sign-in?next=/board")
    await page.context.close()

