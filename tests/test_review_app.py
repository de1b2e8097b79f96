"""The review app (`altdeck review --serve`) and the static review page, in a real headless Chromium.

The app runs as a user starts it (a real `altdeck review --serve` subprocess on 127.0.0.1); the browser
is Debian's Chromium driven by Selenium (tests/browser.py), with keys sent to whatever has focus;
axe-core (vendored, unmodified) checks the pages; raw HTTP checks what the browser cannot send.
"""
import hashlib
import http.client
import json
import os
import re
import socket
import subprocess
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from altdeck.store import altfile
from altdeck.store.altfile import Entry
from browser import assert_focus_visible, axe_violations, focused, format_violations, press, retype, tab_to
from decks import add_picture, png
from runs import ALTDECK, ReviewApp, course, doit_cmd
from test_store_file import doit, make_deck, model_entry, sha

HOSTILE = '</textarea></p><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> A "quoted" cell & more'
LOGO = 50


def coordinator_course(folder):
    """Four decks: 20 model texts nobody reviewed, one human text, one pending picture, a logo in three
    decks, a deck nothing here touches, and a model text that tries to run a script."""
    c = course(folder)
    make_deck(c / "week1.pptx", [1, 2, 3, 4, 5, 6, 7, 8, LOGO], title="Cells")
    make_deck(c / "week2.pptx", [9, 10, 11, 12, 13, 14, 15, 16, LOGO], title="Tissues")
    make_deck(c / "week3.pptx", [17, 18, 19, 20, 21, LOGO], title="Organs")
    make_deck(c / "week4.pptx", [30, 31], title="Revision")
    entries = {sha(n): model_entry(f"Micrograph number {n} of stained cells") for n in range(1, 22) if n not in (3, 4)}
    entries[sha(9)] = model_entry(HOSTILE)
    entries[sha(3)] = Entry("Onion cells under a microscope", "human", reviewed=True)
    entries[sha(LOGO)] = model_entry("University logo in blue")
    entries[sha(30)] = Entry("Summary diagram of the organ systems", "human", reviewed=True)
    entries[sha(31)] = Entry("Exam timetable as a table", "human", reviewed=True)
    altfile.write(c / "alt-text.yaml", entries)
    doit(c)
    return c


def wait(driver, what, timeout=60):
    return WebDriverWait(driver, timeout).until(lambda d: what(d))


def message(driver) -> str:
    return driver.find_element(By.ID, "message").text


def row(driver, n):
    return driver.find_element(By.ID, f"r-{sha(n)}")


def ready(driver, url):
    driver.get(url)
    wait(driver, lambda d: d.execute_script("return document.body.dataset.ready === '1'"))


def built(log_text) -> set:
    return {line.split()[1] for line in log_text.splitlines() if line.startswith("built  ")}


@pytest.fixture
def app_course(tmp_path):
    return coordinator_course(tmp_path / "course")


# -- the "done when": a coordinator, keyboard only ------------------------------------------------------

def test_a_coordinator_reviews_a_course_with_the_keyboard_only(page, app_course):
    c = app_course
    with ReviewApp(c) as app:
        ready(page, app.url)
        assert focused(page)[0] in ("generic", "none", "RootWebArea", "")          # nothing focused yet

        # filter to the unreviewed: the Status filter, by typing its option's first letter
        tab_to(page, "Status", role="combobox")
        press(page, "u")
        wait(page, lambda d: d.find_element(By.ID, "shown").text == "20 of 24 objects shown")
        assert "status=unreviewed" in page.current_url                     # the address keeps the filter
        assert {li.get_attribute("data-status") for li in page.find_elements(By.CSS_SELECTOR, "#rows > li")
                if li.is_displayed()} == {"unreviewed"}

        # accept all 20 in one action
        tab_to(page, "Accept all shown", role="button")
        press(page, Keys.ENTER)
        wait(page, lambda d: message(d) == "Accepted 20 texts.")
        entries = altfile.read(c / "alt-text.yaml")
        assert sum(e.reviewed and e.source == "ollama:llava" for e in entries.values()) == 20

        # look at a picture full size: the dialog takes the focus, keeps it, gives it back
        tab_to(page, f"Preview {sha(1)[:12]}", role="button")
        press(page, Keys.ENTER)
        assert page.execute_script("return document.getElementById('preview').open")
        assert focused(page) == ("button", "Close preview")
        assert_focus_visible(page)
        seen = set()
        for _ in range(4):                                                  # Tab cycles inside the dialog
            press(page, Keys.TAB)
            seen.add(focused(page)[1])
            assert page.execute_script("return document.getElementById('preview').contains(document.activeElement)")
        assert seen == {"Close preview", "Full-size image (scroll with the arrow keys)"}
        press(page, Keys.ESCAPE)
        assert not page.execute_script("return document.getElementById('preview').open")
        assert focused(page) == ("button", f"Preview {sha(1)[:12]}")        # back where it was opened

        # fix one text
        tab_to(page, f"Alt text for {sha(1)[:12]}", role="textbox")
        retype(page, "Image of IMG_0042.JPG")
        wait(page, lambda d: len(row(d, 1).find_elements(By.CSS_SELECTOR, ".warnings li")) == 2)
        warn = row(page, 1).find_element(By.CSS_SELECTOR, ".warnings").text
        assert 'starts with "Image of"' in warn and "file name" in warn
        retype(page, "Onion root tip cells in mitosis, chromosomes stained purple")
        tab_to(page, f"Save {sha(1)[:12]}", role="button")
        press(page, Keys.ENTER)
        wait(page, lambda d: message(d).startswith(f"Saved {sha(1)[:12]}"))
        assert "1 deck needs rebuilding" in message(page)
        assert altfile.read(c / "alt-text.yaml")[sha(1)].text == \
            "Onion root tip cells in mitosis, chromosomes stained purple"

        # the pending picture: back to the filters, all statuses, search, write its text
        tab_to(page, "Search", back=True)
        press(page, "week1 Cells 4")
        tab_to(page, "Status", role="combobox", back=True)
        press(page, "a")                                                    # "All (24)"
        wait(page, lambda d: shown_keys(d) == [sha(4)])
        tab_to(page, f"Alt text for {sha(4)[:12]}", role="textbox")
        press(page, "Cheek cells stained with methylene blue, nuclei dark")
        press(page, Keys.TAB)
        assert focused(page) == ("button", f"Save {sha(4)[:12]}")
        press(page, Keys.SPACE)
        wait(page, lambda d: message(d).startswith(f"Saved {sha(4)[:12]}"))

        # the logo is decorative
        tab_to(page, "Search", back=True)
        retype(page, "logo")
        wait(page, lambda d: shown_keys(d) == [sha(LOGO)])
        logo = row(page, LOGO)
        assert logo.find_element(By.CSS_SELECTOR, ".places").text.count("slide 9") == 2   # one row, three places
        assert len(logo.find_elements(By.CSS_SELECTOR, ".places li")) == 3
        tab_to(page, f"Mark {sha(LOGO)[:12]} decorative", role="button")
        press(page, Keys.ENTER)
        wait(page, lambda d: message(d).startswith(f"Marked {sha(LOGO)[:12]} decorative"))
        assert altfile.read(c / "alt-text.yaml")[sha(LOGO)].decorative

        totals = page.find_element(By.ID, "rebuild-count")
        assert totals.get_attribute("data-count") == "3", totals.text      # the logo is in three decks

        # rebuild from the page
        tab_to(page, "Rebuild", role="button", back=True)
        press(page, Keys.ENTER)
        wait(page, lambda d: message(d).startswith("Rebuild finished"), timeout=300)
        log = page.find_element(By.ID, "build-log").text
        assert built(log) == {"week1.pptx", "week2.pptx", "week3.pptx"}, log   # week4 shows nothing changed
        assert page.find_element(By.ID, "rebuild-count").get_attribute("data-count") == "0"
        assert row(page, 1).get_attribute("data-status") == "human"
        assert axe_violations(page) == [], format_violations(axe_violations(page))
    r = subprocess.run([ALTDECK, "check", "--strict"], cwd=c, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "check: all 4 deck(s) pass (alt text on every object, no errors or warnings, model text reviewed)" \
        in r.stdout


# -- the address, the one line, nothing opened -------------------------------------------------------

def test_serve_prints_one_line_opens_nothing_and_stops_on_sigterm(tmp_path):
    c = course(tmp_path / "course")
    make_deck(c / "a.pptx", [1])
    doit(c)
    opened = tmp_path / "browser-was-opened"
    spy = tmp_path / "spy-browser"
    spy.write_text(f"#!/bin/sh\ntouch {opened}\n")
    spy.chmod(0o755)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = ReviewApp(c, "--port", str(port), env={"BROWSER": str(spy)})
    try:
        assert re.fullmatch(rf"review: http://127\.0\.0\.1:{port}/s/[\w-]{{20,}}/  \(Ctrl\+C stops it\)\n", app.line)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", app.url.split(str(port), 1)[1])
        r = conn.getresponse()
        assert r.status == 200 and "Alt text review" in r.read().decode()
        assert "script-src 'self'" in r.getheader("Content-Security-Policy")      # no inline script ever runs
        assert r.getheader("X-Content-Type-Options") == "nosniff"
        # bound to 127.0.0.1 only: another loopback address of this machine does not answer
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.2", port), timeout=5).close()
        # a second app on the same port: one line, no traceback
        r = subprocess.run([ALTDECK, "review", "--serve", "--port", str(port)], cwd=c, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode != 0 and "Traceback" not in r.stderr
        assert f"cannot listen on 127.0.0.1:{port}" in r.stdout + r.stderr
    finally:
        rest = app.stop()
    assert app.proc.returncode == 0 and rest == "review: stopped\n"
    assert not opened.exists()
    # plain doit with altdeck's dodo.py serves the same app
    with ReviewApp(c, cmd=doit_cmd(c, "review", "--serve")) as other:
        assert other.url.startswith("http://127.0.0.1:")
        conn = http.client.HTTPConnection("127.0.0.1", other.port, timeout=10)
        conn.request("GET", other.url.split(str(other.port), 1)[1])
        r = conn.getresponse()
        assert r.status == 200 and "Alt text review" in r.read().decode()


# -- security ------------------------------------------------------------------------------------------

def test_a_hostile_description_and_slide_title_are_shown_as_text_and_run_nothing(page, tmp_path):
    c = course(tmp_path / "course")
    make_deck(c / "a.pptx", [9, 10], title='</title><script>window.__pwned = 3</script>')
    altfile.write(c / "alt-text.yaml", {sha(9): model_entry(HOSTILE)})
    doit(c)
    with ReviewApp(c) as app:
        ready(page, app.url)
        li = row(page, 9)
        assert li.find_element(By.TAG_NAME, "textarea").get_attribute("value") == HOSTILE
        assert "<script>window.__pwned = 3</script> 1" in li.find_element(By.CSS_SELECTOR, ".places").text
        assert page.execute_script("return window.__pwned") is None
        assert not page.find_elements(By.CSS_SELECTOR, "#rows script, #rows img[src='x']")
        # the preview dialog shows it as text too
        li.find_element(By.CSS_SELECTOR, "button.thumb").click()
        assert HOSTILE in page.find_element(By.ID, "preview-text").text
        page.find_element(By.ID, "preview-close").click()
        # saved from the page, it stays text
        ta = li.find_element(By.TAG_NAME, "textarea")
        ta.clear()
        ta.send_keys('"><svg onload="window.__pwned = 4"> Onion cells')
        li.find_element(By.CSS_SELECTOR, "button[data-act=save]").click()
        wait(page, lambda d: message(d).startswith("Saved"))
        ready(page, app.url)
        assert row(page, 9).find_element(By.TAG_NAME, "textarea").get_attribute("value") == \
            '"><svg onload="window.__pwned = 4"> Onion cells'
        assert page.execute_script("return window.__pwned") is None
    doit(c, "review")
    ready(page, (c / "build/review/index.html").as_uri())
    assert row(page, 9).find_element(By.CSS_SELECTOR, ".text").text == '"><svg onload="window.__pwned = 4"> Onion cells'
    assert "<script>window.__pwned = 3</script> 2" in row(page, 10).find_element(By.CSS_SELECTOR, ".places").text
    assert page.execute_script("return window.__pwned") is None


def raw(app, method, path, body=None, headers=None):
    """One raw HTTP request to the app; -> (status, body text)."""
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=60)
    head = {"Host": f"127.0.0.1:{app.port}"}
    head.update(headers or {})
    conn.request(method, path, body=body, headers=head)
    r = conn.getresponse()
    return r.status, r.read().decode("utf-8", "replace")


def test_changes_need_the_session_token_and_the_apps_own_host(page, app_course):
    c = app_course
    store = c / "alt-text.yaml"
    with ReviewApp(c) as app:
        prefix = app.url.split(str(app.port), 1)[1]                       # /s/<token>/
        token = prefix.split("/")[2]
        save = json.dumps({"uid": sha(1), "text": "Forged text", "base": None})
        json_type = {"Content-Type": "application/json"}
        before = store.read_bytes()
        refused = [
            ("POST", prefix + "api/save", save, json_type),                                   # no token header
            ("POST", prefix + "api/save", save, {**json_type, "X-Altdeck-Token": "guess"}),   # a wrong one
            ("POST", "/s/guess/api/save", save, {**json_type, "X-Altdeck-Token": token}),     # wrong path token
            ("POST", prefix + "api/save", save, {**json_type, "X-Altdeck-Token": token,
                                                 "Host": "attacker.example:%d" % app.port}),  # DNS rebinding
            ("POST", prefix + "api/save", save, {**json_type, "X-Altdeck-Token": token,
                                                 "Origin": "http://attacker.example"}),       # another site
            ("POST", prefix + "api/save", "uid=x", {"Content-Type": "application/x-www-form-urlencoded",
                                                    "X-Altdeck-Token": token}),               # a form post
            ("POST", prefix + "api/build", "{}", json_type),
            ("POST", prefix + "api/accept-all", json.dumps({"rows": {sha(1): "x"}}), json_type),
        ]
        for method, path, body, headers in refused:
            status, text = raw(app, method, path, body, headers)
            assert status in (403, 415), (path, headers, status, text)
            assert "refused" in text
        for path in ("", "thumb/" + sha(1), "api/rows", "review.js"):                # reading needs it too
            assert raw(app, "GET", "/s/guess/" + path)[0] == 403
            assert raw(app, "GET", prefix + path, headers={"Host": f"evil.example:{app.port}"})[0] == 403
        assert raw(app, "GET", "/")[0] == 403
        assert store.read_bytes() == before
        assert not (c / ".altdeck" / "review-build.log").exists()

        # a page of another site in the same browser cannot change anything either
        page.get(f"http://localhost:{app.port}/")                          # an origin other than the app's
        page.execute_script("""
            const f = document.createElement('form'); f.method = 'POST'; f.action = arguments[0];
            f.enctype = 'text/plain'; const i = document.createElement('input'); i.name = '{"uid":"' + arguments[1]
              + '","text":"CSRF","x":"'; i.value = '"}'; f.appendChild(i); document.body.appendChild(f);
            fetch(arguments[0], {method: 'POST', mode: 'no-cors', body: arguments[2],
                                 headers: {'Content-Type': 'text/plain'}}).catch(() => 0);
            f.submit();""", app.url + "api/save", sha(1), save)
        time.sleep(1)
        assert store.read_bytes() == before

        # the same request with the token, from the app's host, is the one that works
        status, text = raw(app, "POST", prefix + "api/save", save, {**json_type, "X-Altdeck-Token": token})
        assert status == 200 and json.loads(text)["ok"], text
    assert altfile.read(store)[sha(1)].text == "Forged text"


def test_pictures_come_only_from_the_decks_by_key(app_course, tmp_path):
    c = app_course
    (c / "build" / "secret.txt").write_text("not for the browser")
    with ReviewApp(c) as app:
        prefix = app.url.split(str(app.port), 1)[1]
        status, _ = raw(app, "GET", prefix + "image/" + sha(2))
        assert status == 200
        for path in ("image/../../build/secret.txt", "thumb/..%2Fsecret.txt", "image/%2e%2e/config.yaml",
                     "../../config.yaml", "alt-text.yaml", "image/" + "0" * 64, "thumb/x" * 50):
            status, text = raw(app, "GET", prefix + path)
            assert status == 404 and "not for the browser" not in text and "backend" not in text, path


# -- a person's edit made meanwhile is never lost ----------------------------------------------------------

def test_an_edit_made_meanwhile_is_never_overwritten(page, app_course):
    c = app_course
    store = c / "alt-text.yaml"
    with ReviewApp(c) as app:
        ready(page, app.url)
        # meanwhile: altdeck alt on one object, a hand edit of another
        r = subprocess.run([ALTDECK, "alt", "--key", sha(5)[:12], "--text", "Written with altdeck alt"], cwd=c,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        store.write_text(store.read_text().replace("Micrograph number 6 of stained cells", "Edited by hand"))

        li = row(page, 5)
        ta = li.find_element(By.TAG_NAME, "textarea")
        ta.clear()
        ta.send_keys("Written in the page")
        li.find_element(By.CSS_SELECTOR, "button[data-act=save]").click()
        wait(page, lambda d: "changed meanwhile" in message(d))
        assert altfile.read(store)[sha(5)].text == "Written with altdeck alt"       # nothing overwritten
        assert ta.get_attribute("value") == "Written in the page"               # nor the typing lost
        li.find_element(By.CSS_SELECTOR, "button[data-act=accept]")
        # accepting a text the page did not show is refused too
        li6 = row(page, 6)
        li6.find_element(By.CSS_SELECTOR, "button[data-act=accept]").click()
        wait(page, lambda d: "Not accepted" in message(d))
        assert not altfile.read(store)[sha(6)].reviewed
        # another row's decision keeps both meanwhile changes
        row(page, 7).find_element(By.CSS_SELECTOR, "button[data-act=accept]").click()
        wait(page, lambda d: message(d).startswith(f"Accepted {sha(7)[:12]}"))
        entries = altfile.read(store)
        assert entries[sha(7)].reviewed and entries[sha(6)].text == "Edited by hand"
        assert entries[sha(5)].text == "Written with altdeck alt"
        # having seen the message, a second Save is the person's decision
        li.find_element(By.CSS_SELECTOR, "button[data-act=save]").click()
        wait(page, lambda d: message(d).startswith(f"Saved {sha(5)[:12]}"))
        assert altfile.read(store)[sha(5)].text == "Written in the page"


def test_revert_goes_back_to_the_models_text_and_the_build_uses_it_without_a_model(page, app_course):
    c = app_course
    with ReviewApp(c) as app:
        ready(page, app.url)
        li = row(page, 2)
        assert not li.find_element(By.CSS_SELECTOR, "button[data-act=revert]").is_displayed()
        ta = li.find_element(By.TAG_NAME, "textarea")
        ta.clear()
        ta.send_keys("A person's text")
        li.find_element(By.CSS_SELECTOR, "button[data-act=save]").click()
        wait(page, lambda d: message(d).startswith("Saved"))
        revert = li.find_element(By.CSS_SELECTOR, "button[data-act=revert]")
        assert revert.accessible_name == f"Revert {sha(2)[:12]} to the model's text"
        revert.click()
        wait(page, lambda d: message(d).startswith("Reverted"))
        assert ta.get_attribute("value") == "Micrograph number 2 of stained cells"
        assert li.get_attribute("data-status") == "unreviewed"
    e = altfile.read(c / "alt-text.yaml")[sha(2)]
    assert (e.text, e.source, e.reviewed) == ("Micrograph number 2 of stained cells", "ollama:llava", False)
    r = doit(c)
    assert "built" not in r.stdout.split("altdeck:")[0]            # the decks already have that text


# -- filters, sort, the address ---------------------------------------------------------------------------

def choose(driver, select_id, value):
    """Pick an option of a select with the mouse (the keyboard-only test uses keys)."""
    Select(driver.find_element(By.ID, select_id)).select_by_value(value)


def shown_keys(driver) -> list:
    return [li.get_attribute("data-uid") for li in driver.find_elements(By.CSS_SELECTOR, "#rows > li")
            if li.is_displayed()]


@pytest.mark.parametrize("where", ["app", "static"])
def test_totals_filters_search_sort_and_a_shareable_address(page, app_course, where):
    c = app_course
    if where == "static":
        doit(c, "review")
        app, url = None, (c / "build/review/index.html").as_uri()
    else:
        app = ReviewApp(c)
        url = app.url
    try:
        ready(page, url)
        totals = page.find_element(By.CSS_SELECTOR, "[aria-labelledby=totals-h]")
        assert totals.aria_role == "region" and totals.accessible_name == "Totals"
        counts = totals.find_element(By.CSS_SELECTOR, ".counts").text
        assert "pending 1" in counts and "unreviewed 20" in counts and "human 3" in counts
        assert len(shown_keys(page)) == 24                      # 26 pictures, the logo thrice: one row per key
        choose(page, "f-deck", "week4.pptx")
        assert sorted(shown_keys(page)) == sorted([sha(30), sha(31)])
        choose(page, "f-deck", "")
        choose(page, "f-source", "human")
        assert set(shown_keys(page)) == {sha(3), sha(30), sha(31)}
        page.find_element(By.ID, "f-q").send_keys("timetable")
        wait(page, lambda d: shown_keys(d) == [sha(31)])
        shared = page.current_url
        assert "source=human" in shared and "q=timetable" in shared
        page.find_element(By.ID, "f-q").clear()
        choose(page, "f-source", "")
        wait(page, lambda d: len(shown_keys(d)) == 24)
        choose(page, "f-sort", "places")
        assert shown_keys(page)[0] == sha(LOGO)
        choose(page, "f-sort", "status")
        assert shown_keys(page)[0] == sha(4)                     # the pending one
        ready(page, shared)                                       # a shared link opens the same view
        assert shown_keys(page) == [sha(31)]
        assert page.find_element(By.ID, "f-q").get_attribute("value") == "timetable"
        assert axe_violations(page) == [], format_violations(axe_violations(page))
    finally:
        if app:
            app.stop()


# -- accessibility ------------------------------------------------------------------------------------------

def test_axe_finds_nothing_in_any_state_of_the_app(page, app_course):
    with ReviewApp(app_course) as app:
        ready(page, app.url)
        assert axe_violations(page) == [], format_violations(axe_violations(page))
        li = row(page, 1)
        li.find_element(By.CSS_SELECTOR, "details summary").click()
        ta = li.find_element(By.TAG_NAME, "textarea")
        ta.send_keys(" and more words" * 12)                     # over max_chars: warnings and the counter
        wait(page, lambda d: li.find_elements(By.CSS_SELECTOR, ".warnings li"))
        assert "over the limit" in li.find_element(By.CSS_SELECTOR, ".counter").text
        li.find_element(By.CSS_SELECTOR, "button[data-act=save]").click()
        wait(page, lambda d: message(d).startswith("Saved"))
        assert axe_violations(page) == [], format_violations(axe_violations(page))
        li.find_element(By.CSS_SELECTOR, "button.thumb").click()
        assert axe_violations(page) == [], format_violations(axe_violations(page))     # the open dialog

        press(page, Keys.ESCAPE)
        k = sha(2)[:12]                                          # the stable accessible names
        names = {b.aria_role: b.accessible_name for b in row(page, 2).find_elements(By.CSS_SELECTOR, "button")}
        assert [b.accessible_name for b in row(page, 2).find_elements(By.CSS_SELECTOR, "button") if b.is_displayed()] \
            == [f"Preview {k}", f"Save {k}", f"Accept {k}", f"Mark {k} decorative"], names
        assert row(page, 2).find_element(By.TAG_NAME, "textarea").accessible_name == f"Alt text for {k}"
        assert page.find_element(By.ID, "f-status").accessible_name == "Status"
        assert page.find_element(By.ID, "accept-all").accessible_name == "Accept all shown"


def test_static_export_is_one_row_per_key_read_only_and_works_offline(page, tmp_path):
    c = course(tmp_path / "course")
    make_deck(c / "week1.pptx", [90, 91, 92], title="Cells")
    make_deck(c / "week2.pptx", [92, 93], title="Organs")
    from decks import copy_corpus
    copy_corpus("bug54570.pptx", c / "emf.pptx")                         # an OLE object whose preview is EMF
    copy_corpus("bar-chart.pptx", c / "chart.pptx")
    big = c / "big.pptx"
    from pptx import Presentation
    prs = Presentation()
    add_picture(prs.slides.add_slide(prs.slide_layouts[5]), png(77, size=(1600, 1200)))
    prs.save(big)
    big_key = hashlib.sha256(png(77, size=(1600, 1200))).hexdigest()
    altfile.write(c / "alt-text.yaml", {sha(90): Entry("Onion cells under a microscope", "human"),
                                        sha(91): model_entry("A diagram of a mitochondrion")})
    doit(c)
    r = doit(c, "review")
    assert re.search(r"review: build/review/index.html \(\d+ object\(s\) in 5 deck\(s\): \d+ pending, "
                     r"1 unreviewed\)", r.stdout), r.stdout
    review = c / "build/review"
    ready(page, (review / "index.html").as_uri())
    shared = row(page, 92)
    assert len(shared.find_elements(By.CSS_SELECTOR, ".places li")) == 2            # one row, two decks
    unreviewed = row(page, 91)
    commands = unreviewed.find_element(By.CSS_SELECTOR, ".commands").text
    assert f"altdeck alt --key {sha(91)[:12]} --reviewed" in commands
    assert f"altdeck alt --key {sha(91)[:12]} --decorative" in commands
    assert not page.find_elements(By.CSS_SELECTOR, "textarea, button[data-act], #accept-all, #build-start")
    widths = page.execute_script("return Array.from(document.querySelectorAll('button.thumb img'))"
                                 ".map(i => (i.scrollIntoView(), i.naturalWidth))")
    wait(page, lambda d: all(d.execute_script(
        "return Array.from(document.querySelectorAll('button.thumb img')).map(i => i.complete && i.naturalWidth)")))
    assert widths and all(0 < w <= 240 for w in page.execute_script(
        "return Array.from(document.querySelectorAll('button.thumb img')).map(i => i.naturalWidth)"))
    # objects Pillow cannot draw, and charts, show themselves cut out of their rendered slide
    for kind in ("ole", "chart"):
        li = page.find_element(By.CSS_SELECTOR, f"#rows > li[data-kind='{kind}']")
        img = li.find_element(By.CSS_SELECTOR, "button.thumb img")
        assert re.fullmatch(r"img/r-\w{16}\.png", img.get_attribute("src").rsplit("/review/", 1)[1])
        wait(page, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) > 50)
    # its dialog: the crop at the render's resolution, and the whole slide for context
    page.find_element(By.CSS_SELECTOR, "#rows > li[data-kind='chart'] button.thumb").click()
    wait(page, lambda d: d.find_element(By.ID, "preview-slide").is_displayed())
    assert page.execute_script("return document.getElementById('preview-slide-img').naturalWidth") == 1600
    assert page.find_element(By.ID, "preview-slide-img").get_attribute("alt") == \
        "chart.pptx, slide 1, the whole slide as rendered"
    press(page, Keys.ESCAPE)
    # the full-size preview, offline from the file
    page.find_element(By.ID, f"r-{big_key}").find_element(By.CSS_SELECTOR, "button.thumb").click()
    wait(page, lambda d: d.execute_script("const i = document.getElementById('preview-img');"
                                          "return i.complete && i.naturalWidth") == 1600)
    assert axe_violations(page) == [], format_violations(axe_violations(page))
    press(page, Keys.ESCAPE)
    choose(page, "f-status", "pending")
    assert all(li.get_attribute("data-status") == "pending" for li in page.find_elements(By.CSS_SELECTOR, "#rows > li")
               if li.is_displayed())
    assert "status=pending" in page.current_url
    assert axe_violations(page) == [], format_violations(axe_violations(page))


def test_the_rebuild_button_starts_one_build_at_a_time(app_course):
    c = app_course
    subprocess.run([ALTDECK, "alt", "--key", sha(1)[:12], "--text", "Changed text"], cwd=c, check=True,
                   capture_output=True, timeout=120)
    with ReviewApp(c) as app:
        prefix = app.url.split(str(app.port), 1)[1]
        token = {"Content-Type": "application/json", "X-Altdeck-Token": prefix.split("/")[2]}
        first = raw(app, "POST", prefix + "api/build", "{}", token)
        second = raw(app, "POST", prefix + "api/build", "{}", token)
        assert first[0] == 200 and json.loads(first[1])["ok"]
        assert second[0] == 409 and "still running" in second[1]
        deadline = time.monotonic() + 300
        while True:
            state = json.loads(raw(app, "GET", prefix + "api/build")[1])
            if not state["running"] or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert state["exit"] == 0 and built("\n".join(state["lines"])) == {"week1.pptx"}
    assert os.path.exists(c / ".altdeck" / "review-build.log")


def test_findings_in_the_reports_are_shown_on_their_objects_and_per_deck(page, tmp_path):
    """Reports that carry the accessibility check's findings (its contract: rule, severity, slide,
    shape_id, shape, message, fix): a row shows its object's, the page lists the deck's others."""
    c = course(tmp_path / "course")
    make_deck(c / "a.pptx", [1, 2], title="Cells")
    altfile.write(c / "alt-text.yaml", {sha(1): model_entry("Image of onion cells")})
    doit(c)
    report_path = c / "build/reports/a.pptx.json"
    report = json.loads(report_path.read_text())
    shape = next(o for o in report["objects"] if o["key"] == sha(1))
    report["findings"] = [
        {"rule": "alt-image-of", "severity": "warning", "slide": shape["slide"], "shape_id": shape["id"],
         "shape": shape["name"], "message": 'Alt text starts with "Image of".', "fix": "Say what it shows."},
        {"rule": "title-duplicate", "severity": "tip", "slide": 2, "shape_id": "", "shape": "",
         "message": "Two slides have the title <b>Cells</b>.", "fix": "Give each slide its own title."}]
    report_path.write_text(json.dumps(report))
    doit(c, "review")
    with ReviewApp(c) as app:
        for url in (app.url, (c / "build/review/index.html").as_uri()):
            ready(page, url)
            assert "WARNING alt-image-of: Alt text starts with \"Image of\". Fix: Say what it shows." in \
                row(page, 1).find_element(By.CSS_SELECTOR, ".findings").text
            assert not row(page, 2).find_elements(By.CSS_SELECTOR, ".findings")
            deck = page.find_element(By.CSS_SELECTOR, "[aria-labelledby=findings-h]")
            deck.find_element(By.TAG_NAME, "summary").click()
            assert "Two slides have the title <b>Cells</b>." in deck.text
            assert axe_violations(page) == [], format_violations(axe_violations(page))


def test_the_app_shows_a_chart_cut_out_of_its_slide_rendered_on_demand(page, tmp_path):
    from decks import copy_corpus
    c = course(tmp_path / "course")
    copy_corpus("bar-chart.pptx", c / "chart.pptx")
    doit(c)                                    # offline: the chart is described from its data, nothing rendered
    assert not (c / ".altdeck" / "renders").exists()
    with ReviewApp(c) as app:
        ready(page, app.url)
        li = page.find_element(By.CSS_SELECTOR, "#rows > li[data-kind='chart']")
        assert "Chart" in li.find_element(By.TAG_NAME, "h2").text
        img = li.find_element(By.CSS_SELECTOR, "button.thumb img")
        wait(page, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) > 50,
             timeout=180)                       # LibreOffice started for it, once
        li.find_element(By.CSS_SELECTOR, "button.thumb").click()
        wait(page, lambda d: d.execute_script("const i = document.getElementById('preview-img');"
                                              "return i.complete && i.naturalWidth") > 240)   # the full crop
        wait(page, lambda d: d.find_element(By.ID, "preview-slide").is_displayed())
        assert axe_violations(page) == [], format_violations(axe_violations(page))
    assert len(list((c / ".altdeck" / "renders").glob("*.png"))) == 1


# -- waiving a finding from the app ----------------------------------------------------------------------

def waiver_course(folder):
    """A deck whose slide 4 has no title (an error, the deck's own finding) and a picture whose person's text
    starts "Picture of" (a warning on its row, waived on its entry); -> (course, the picture's key)."""
    from pptx import Presentation
    from rule_decks import BREAKS, _picture, _slide
    c = course(folder)
    BREAKS["title-missing"](c / "untitled.pptx")
    prs = Presentation()
    _picture(_slide(prs, "Leaves"), 11, descr=None)
    prs.save(c / "leaf.pptx")
    doit(c)
    key = json.loads((c / "build/reports/leaf.pptx.json").read_text())["objects"][0]["key"]
    r = subprocess.run([ALTDECK, "alt", "--key", key[:12], "--text", "Picture of a leaf in the sun."], cwd=c,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    doit(c)
    return c, key


def check(c, *args):
    return subprocess.run([ALTDECK, "check", *args], cwd=c, capture_output=True, text=True, timeout=120)


def test_a_coordinator_waives_findings_from_the_app_with_the_keyboard_only(page, tmp_path):
    import yaml
    c, key = waiver_course(tmp_path / "course")
    r = check(c)
    assert r.returncode == 1 and "untitled.pptx:4: (slide) — error title-missing" in r.stdout, r.stdout
    assert "leaf.pptx:1: Picture 2 — warning alt-image-of" in r.stdout
    with ReviewApp(c) as app:
        ready(page, app.url)
        # the deck's own finding: open its deck, give a reason, waive it
        tab_to(page, "untitled.pptx: 1 finding")
        press(page, Keys.ENTER)
        tab_to(page, "Reason to waive title-missing on untitled.pptx slide 4 (optional)", role="textbox")
        assert axe_violations(page) == [], format_violations(axe_violations(page))       # with the new controls
        press(page, "Full-screen photo; its title is in the notes")
        press(page, Keys.TAB)
        assert focused(page) == ("button", "Waive title-missing on untitled.pptx slide 4")
        assert_focus_visible(page)
        press(page, Keys.ENTER)
        wait(page, lambda d: message(d).startswith("Waived title-missing on untitled.pptx slide 4 in alt-text.yaml"))
        assert page.find_element(By.ID, "message").aria_role == "status"              # read out, like Accept's
        assert "title-missing" not in page.find_element(By.ID, "deck-findings").text     # gone, no reload
        assert page.switch_to.active_element.get_attribute("id") == "rows"      # no deck finding left: the objects
        saved = yaml.safe_load((c / "alt-text.yaml").read_text())
        assert saved["waivers"] == {"untitled.pptx": [{"rule": "title-missing", "slide": 4,
                                                       "reason": "Full-screen photo; its title is in the notes"}]}

        # the picture's finding, on its row: waived on its entry (kept while the picture is unchanged)
        li = page.find_element(By.ID, f"r-{key}")
        assert "alt-image-of" in li.find_element(By.CSS_SELECTOR, ".findings").text
        assert not li.find_elements(By.CSS_SELECTOR, "input.waive-reason")     # an entry's waiver keeps no reason
        tab_to(page, f"Waive alt-image-of on {key[:12]}", role="button")
        press(page, Keys.SPACE)
        wait(page, lambda d: message(d).startswith(f"Waived alt-image-of on {key[:12]}"))
        assert f"object {key[:12]} (while it is unchanged)" in message(page)
        assert not li.find_elements(By.CSS_SELECTOR, ".findings")
        assert li.find_element(By.CSS_SELECTOR, ".msg").text == message(page)
        scores = page.find_element(By.CSS_SELECTOR, "[aria-labelledby=a11y-h]").text
        assert "course score 100% Perfect" in scores, scores                     # the scores follow, no reload
        assert axe_violations(page) == [], format_violations(axe_violations(page))
        saved = yaml.safe_load((c / "alt-text.yaml").read_text())
        assert saved["objects"][key]["waive"] == ["alt-image-of"]
        assert saved["objects"][key]["text"] == "Picture of a leaf in the sun."         # the text untouched
    r = check(c, "--strict")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 waived" in r.stdout and "title-missing" not in r.stdout and "alt-image-of" not in r.stdout


def test_a_waiver_needs_the_session_token_and_the_apps_own_host(tmp_path):
    c, key = waiver_course(tmp_path / "course")
    store = c / "alt-text.yaml"
    with ReviewApp(c) as app:
        prefix = app.url.split(str(app.port), 1)[1]
        token = prefix.split("/")[2]
        status, html = raw(app, "GET", prefix)
        fid = re.search(r'data-waive="(f\w+)">Waive<span class="vh"> title-missing', html)[1]
        body = json.dumps({"finding": fid, "reason": "forged"})
        json_type = {"Content-Type": "application/json"}
        before = store.read_bytes()
        refused = [
            (prefix, json_type, 403),                                                          # no token
            (prefix, {**json_type, "X-Altdeck-Token": "guess"}, 403),                          # a wrong one
            ("/s/guess/", {**json_type, "X-Altdeck-Token": token}, 403),                       # wrong path token
            (prefix, {**json_type, "X-Altdeck-Token": token, "Host": f"attacker.example:{app.port}"}, 403),
            (prefix, {**json_type, "X-Altdeck-Token": token, "Origin": "http://attacker.example"}, 403),
            (prefix, {"Content-Type": "text/plain", "X-Altdeck-Token": token}, 415),           # a form post
        ]
        for where, headers, expected in refused:
            status, text = raw(app, "POST", where + "api/waive", body, headers)
            assert status == expected and "refused" in text, (headers, status, text)
        mine = {**json_type, "X-Altdeck-Token": token}
        status, text = raw(app, "POST", prefix + "api/waive", json.dumps({"finding": "f" + "0" * 16}), mine)
        assert status == 409 and "no longer there" in text                      # not a finding the page shows
        status, text = raw(app, "POST", prefix + "api/waive", json.dumps({"finding": fid, "reason": "x" * 201}), mine)
        assert status == 400 and "at most 200 characters" in text
        assert store.read_bytes() == before
        assert check(c).returncode == 1

        status, text = raw(app, "POST", prefix + "api/waive", body, mine)         # the app's own request
        assert status == 200 and json.loads(text)["ok"], text
        status, text = raw(app, "POST", prefix + "api/waive", body, mine)         # twice: it is gone now
        assert status == 409
    assert altfile.read_all(store)[1] == {"untitled.pptx": [altfile.Waiver("title-missing", 4, "", "forged")]}
    assert check(c).returncode == 0


def test_the_static_export_shows_the_command_that_waives_each_finding(page, tmp_path):
    import shlex
    c, key = waiver_course(tmp_path / "course")
    doit(c, "review")
    ready(page, (c / "build/review/index.html").as_uri())
    assert not page.find_elements(By.CSS_SELECTOR, "[data-waive], input.waive-reason")        # read-only
    page.find_element(By.CSS_SELECTOR, "details[data-deck='untitled.pptx'] summary").click()
    commands = [el.text for el in page.find_elements(By.CSS_SELECTOR, ".findings code") if el.text.startswith("altdeck")]
    assert commands == [f"altdeck waive --rule alt-image-of --key {key[:12]}",
                        "altdeck waive --rule title-missing --deck untitled.pptx --slide 4"]
    assert axe_violations(page) == [], format_violations(axe_violations(page))
    for command in commands:                                       # each does what it says
        r = subprocess.run([ALTDECK, *shlex.split(command)[1:]], cwd=c, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
    assert check(c, "--strict").returncode == 0


def test_two_findings_saying_the_same_have_their_own_controls_and_one_waiver_covers_both(page, tmp_path):
    from rule_decks import _link, clean_deck

    def two_links(prs, slides):                        # "click here" twice in one text box: the same finding
        box = _link(slides[2], "click here", "https://example.org/x", y=6.2)
        run = box.text_frame.add_paragraph().add_run()
        run.text = "click here"
        run.hyperlink.address = "https://example.org/y"
    c = course(tmp_path / "course")
    clean_deck(c / "links.pptx", two_links)
    doit(c)
    with ReviewApp(c) as app:
        ready(page, app.url)
        page.find_element(By.CSS_SELECTOR, "details[data-deck='links.pptx'] summary").click()
        buttons = page.find_elements(By.CSS_SELECTOR, "#deck-findings button[data-waive]")
        assert len(buttons) == 2 and len({b.get_attribute("data-waive") for b in buttons}) == 2
        assert {b.accessible_name for b in buttons} == {"Waive link-text on links.pptx slide 3 TextBox 3"}
        assert axe_violations(page) == [], format_violations(axe_violations(page))
        buttons[0].click()
        wait(page, lambda d: message(d).startswith("Waived link-text on links.pptx slide 3 TextBox 3"))
        assert not page.find_elements(By.CSS_SELECTOR, "#deck-findings button[data-waive]")
    assert altfile.read_all(c / "alt-text.yaml")[1] == {"links.pptx": [altfile.Waiver("link-text", 3, "4")]}
    assert check(c, "--strict").returncode == 0
