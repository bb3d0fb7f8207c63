"""The explorer page in a real browser: Debian's Chromium, headless, driven by Playwright.

Playwright's own browser builds are not used (nor downloaded): it starts the
system's ``chromium`` (``executable_path``).  The screenshot of the
``send_to_server`` section with a state picked is kept under
``build/test-artifacts/`` and listed at the end of the run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from statemachine_compiler.cli import main
from tests.explore.conftest import CHROMIUM, needs_chromium, needs_dot

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "two_servers.py"
ARTIFACT_DIRECTORY = ROOT / "build" / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

pytestmark = [needs_dot, needs_chromium]


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, html: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    fetched: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(html.as_uri())
    return page, errors, fetched


def section_of(page, name: str):
    return page.locator("section.function", has=page.locator(f"h2 code:text-is('{name}')"))


def lit_lines(section, pane: str) -> list[str]:
    return section.locator(f"pre.{pane} .line.lit").all_inner_texts()


def test_clicking_a_state_lights_it_in_the_diagram_and_both_panes(browser, tmp_path, keep_artifact):
    html = tmp_path / "two_servers.html"
    assert main(["explain", str(EXAMPLE), "-o", str(html)]) == 0
    page, errors, fetched = open_page(browser, html)
    section = section_of(page, "send_to_server")
    section.scroll_into_view_if_needed()
    diagram = section.locator(".diagram svg")
    source = section.locator("pre.source")
    generated = section.locator("pre.generated")
    for part in (diagram, source, generated):
        assert part.is_visible()
        box = part.bounding_box()
        assert box["width"] > 100 and box["height"] > 50, box

    node = section.locator('.diagram g.node[data-states="2"]')
    node.click()
    assert "lit" in node.get_attribute("class")
    (line,) = lit_lines(section, "source")
    assert line.startswith("66") and line.endswith("resp = await http_get(addr)"), line
    lit = lit_lines(section, "generated")
    assert any("run_now(" in line and ", 2)" in line for line in lit), lit
    assert any("if self.state == 2:" in line for line in lit), lit
    assert not any("run_now(" in line and ", 1)" in line for line in lit), lit
    ARTIFACT_DIRECTORY.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACT_DIRECTORY / "explorer_send_to_server.png"
    section.screenshot(path=str(screenshot))
    keep_artifact("explorer page, send_to_server, state 2 clicked", screenshot)

    # From the source side: the line of await 1 lights state 1 everywhere.
    section.locator("pre.source .line.state", has_text="await sleep").click()
    assert "lit" in section.locator('.diagram g.node[data-states="1"]').get_attribute("class")
    assert "lit" not in node.get_attribute("class")
    assert any("run_now(" in line and ", 1)" in line for line in lit_lines(section, "generated"))

    # From the generated side, by pointing only.
    section.locator("pre.source .line.state", has_text="await sleep").click()  # let go of state 1
    section.locator("pre.generated .line.state", has_text="if self.state == 2:").hover()
    assert lit_lines(section, "source") and "http_get" in lit_lines(section, "source")[0]

    assert errors == []
    assert all(url.startswith("file://") for url in fetched), fetched


def test_a_page_for_fifty_functions_has_contents_and_every_section(browser, tmp_path):
    source = tmp_path / "many.py"
    source.write_text(
        "".join(f"async def step_{n}(x):\n    y = await x.get({n})\n    return y\n\n\n" for n in range(50)),
        encoding="utf-8",
    )
    html = tmp_path / "many.html"
    assert main(["explain", str(source), "-o", str(html)]) == 0
    page, errors, _ = open_page(browser, html)
    assert page.locator("nav li").count() == 50
    assert page.locator("section.function .diagram svg").count() == 50
    page.locator("nav a", has_text="step_49").click()
    last = section_of(page, "step_49")
    assert last.is_visible()
    last.locator('.diagram g.node[data-states="1"]').click()
    assert lit_lines(last, "source") and "await x.get(49)" in lit_lines(last, "source")[0]
    assert errors == []
