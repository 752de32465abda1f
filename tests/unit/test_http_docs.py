"""The API documentation pages load nothing from the internet."""

import re

import httpx

from services.reporting.app import create_app
from services.reporting.config import ReportingSettings


async def test_docs_pages_reference_only_local_assets():
    app = create_app(ReportingSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for page in ("/docs", "/redoc"):
            html = (await client.get(page)).text
            urls = re.findall(r"""(?:src|href)=["']([^"']+)""", html) + re.findall(r"url: ?['\"]([^'\"]+)", html)
            assert urls, page
            assert not [u for u in urls if u.startswith(("http:", "https:", "//"))], (page, urls)
            for url in urls:
                assert (await client.get(url)).status_code == 200, url


async def test_a_date_outside_any_programme_is_a_422_naming_as_of_not_a_500():
    app = create_app(ReportingSettings())
    headers = {"Authorization": "Bearer dev-ministry"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for path in ("/kpi/figures", "/kpi/trend", "/kpi/outlook", "/dashboard"):
            answer = await client.get(path, params={"as_of": "9999-12-31"}, headers=headers)
            assert answer.status_code == 422 and "as_of" in answer.text, path
