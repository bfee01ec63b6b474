"""Pages in a real browser, without the internet: a headless Chromium with every address but
this server's refused loads momentum's GraphiQL and runs the welcome query and a
subscription, and runs the live feed example of examples/."""

import asyncio
import json
import shutil
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from resolvers.passwords import hash_password
from tests.graphql import people, sql
from tests.live import live_server

WAIT_SECONDS = 30
EDITOR = ".graphiql-{0} .CodeMirror"


@pytest.fixture(scope="module")
async def address(settings: Settings) -> AsyncIterator[str]:
    async with live_server(settings) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """Debian's Chromium, headless, allowed to reach 127.0.0.1 only (`./dev.sh test`
    installs it when missing)."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "install Debian's chromium and chromium-driver (./dev.sh test)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        # Every host but this machine's loopback resolves to nowhere: no CDN can be used.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield chrome
    finally:
        chrome.quit()


def editor(which: str) -> str:
    return f"document.querySelector('{EDITOR.format(which)}').CodeMirror"


def _open(browser: webdriver.Chrome, url: str) -> None:
    browser.get(url)
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda b: b.execute_script(
            f"return !!document.querySelector('{EDITOR.format('query-editor')}')"
        )
    )


def _run(browser: webdriver.Chrome, headers: dict[str, str] | None) -> None:
    if headers is not None:
        browser.execute_script(
            "document.querySelectorAll('.graphiql-editor-tools button')[1].click()"
        )
        WebDriverWait(browser, WAIT_SECONDS).until(
            lambda b: b.execute_script(
                f"return !!document.querySelector('{EDITOR.format('editor-tool')}')"
            )
        )
        # The tools pane holds the variables editor, then the headers editor.
        browser.execute_script(
            "document.querySelectorAll('.graphiql-editor-tool .CodeMirror')[1]"
            ".CodeMirror.setValue(arguments[0])",
            json.dumps(headers),
        )
    browser.execute_script("document.querySelector('.graphiql-execute-button').click()")


def _result(browser: webdriver.Chrome, contains: str) -> Any:
    script = f"return {editor('response')}.getValue()"
    text = WebDriverWait(browser, WAIT_SECONDS).until(
        lambda b: (value := b.execute_script(script)) and contains in value and value
    )
    return json.loads(text)


# The server runs in this test's event loop: the browser is driven from a thread.
async def open_page(browser: webdriver.Chrome, address: str, query: str | None = None) -> None:
    """The page, with the query given in its link (GraphiQL's default otherwise)."""
    link = f"http://{address}/graphql"
    if query is not None:
        link += "?" + urllib.parse.urlencode({"q": query})
    await asyncio.to_thread(_open, browser, link)


async def run(browser: webdriver.Chrome, headers: dict[str, str] | None = None) -> None:
    await asyncio.to_thread(_run, browser, headers)


async def result(browser: webdriver.Chrome, contains: str) -> Any:
    """The response pane once it shows `contains`, parsed."""
    return await asyncio.to_thread(_result, browser, contains)


async def test_graphiql_loads_offline_and_runs_the_welcome_query(
    browser: webdriver.Chrome, address: str
) -> None:
    await open_page(browser, address)
    assert "momentum" in browser.title
    await run(browser)
    welcome = await result(browser, "goalTemplates")
    assert len(welcome["data"]["goalTemplates"]) == 4
    assert welcome["data"]["achievementTypes"]


async def test_graphiql_runs_a_subscription_with_the_token_from_the_headers_tab(
    browser: webdriver.Chrome, address: str, engine: AsyncEngine, settings: Settings
) -> None:
    (me,) = await people(engine, settings, 1)
    subscription = (
        "subscription { tableChanges(table: MEAL_LOGS) { operation "
        "record { ... on MealLog { name } } } }"
    )
    await open_page(browser, address, subscription)
    await run(browser, {"Authorization": f"Bearer {me.token}"})
    assert (await result(browser, "READY"))["data"]["tableChanges"]["operation"] == "READY"
    await sql(
        engine,
        "INSERT INTO meal_logs (user_id, logged_on, meal_type, name) "
        "VALUES (:u, current_date, 'lunch', 'Browser soup')",
        u=me.id,
    )
    meal = await result(browser, "Browser soup")
    assert meal["data"]["tableChanges"]["record"] == {"name": "Browser soup"}


def _log_in_on_the_example(browser: webdriver.Chrome, url: str, email: str, password: str) -> None:
    browser.get(url)
    browser.execute_script(
        "document.getElementById('email').value = arguments[0];"
        "document.getElementById('password').value = arguments[1];"
        "document.querySelector('#login button').click();",
        email,
        password,
    )
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda b: b.execute_script("return document.getElementById('status').textContent") == "live"
    )


def _feed_texts(browser: webdriver.Chrome, contains: str) -> list[str]:
    script = "return Array.from(document.querySelectorAll('#feed .text')).map(e => e.textContent)"
    texts: list[str] = WebDriverWait(browser, WAIT_SECONDS).until(
        lambda b: (found := b.execute_script(script)) and contains in found and found
    )
    return texts


async def test_the_feed_example_logs_in_shows_the_feed_and_updates_live(
    browser: webdriver.Chrome, address: str, engine: AsyncEngine
) -> None:
    email = f"example-{uuid.uuid4().hex[:8]}@example.com"
    async with engine.begin() as db:
        user = await db.scalar(
            text(
                "INSERT INTO users (email, name, username, password_hash) "
                "VALUES (:e, 'Ex', :n, :h) RETURNING id"
            ),
            {
                "e": email,
                "n": f"ex_{uuid.uuid4().hex[:8]}",
                "h": await hash_password("ex-password-1"),
            },
        )
        await db.execute(
            text("INSERT INTO posts (user_id, content) VALUES (:u, 'already here')"), {"u": user}
        )
    url = f"http://{address}/examples/feed.html"
    await asyncio.to_thread(_log_in_on_the_example, browser, url, email, "ex-password-1")
    assert "already here" in await asyncio.to_thread(_feed_texts, browser, "already here")
    await sql(engine, "INSERT INTO posts (user_id, content) VALUES (:u, 'live one')", u=user)
    texts = await asyncio.to_thread(_feed_texts, browser, "live one")
    assert texts[0] == "live one"  # newest first, arrived without a reload
