"""The review page in a real headless Chromium, and the pre-push hook with a real `git push`."""
import os
import re
import shutil
import subprocess
import sys

import pytest

from altdeck.store import altfile
from decks import cnvprs, copy_corpus
from runs import ALTDECK, REPO
from test_store_file import course, doit, make_deck, model_entry, sha

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Appended to a copy of the page: writes each image's natural width into the DOM for --dump-dom.
PROBE = """<script>
window.addEventListener('load', function () {
  document.querySelectorAll('img').forEach(function (img) {
    img.setAttribute('data-natural-width', String(img.naturalWidth));
  });
  document.body.setAttribute('data-probed', 'yes');
});
</script>"""


def chromium(url, tmp_path, screenshot=None):
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            f"--user-data-dir={tmp_path / 'chrome-profile'}", "--virtual-time-budget=5000",
            "--window-size=1200,900"]
    if screenshot:
        args.append(f"--screenshot={screenshot}")
    else:
        args.append("--dump-dom")
    r = subprocess.run(args + [url], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium; in .ci/run)")
def test_review_page_shows_thumbnails_texts_and_status_in_a_browser(tmp_path):
    c = course(tmp_path)
    make_deck(c / "week1.pptx", [90, 91, 92], title="Cells")
    copy_corpus("bug54570.pptx", c / "emf.pptx")            # an OLE object whose preview is EMF
    copy_corpus("bar-chart.pptx", c / "chart.pptx")
    altfile.write(c / "alt-text.yaml", {sha(90): altfile.Entry("Onion cells under a microscope", "human"),
                                        sha(91): model_entry("A diagram of a mitochondrion")})
    doit(c)
    r = doit(c, "review")
    assert "review: build/review/index.html (3 deck(s)" in r.stdout
    review = c / "build/review"

    page = (review / "week1.pptx.html").read_text()
    probe = review / "probe-week1.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"))
    dom = chromium(probe.as_uri(), tmp_path)
    assert 'data-probed="yes"' in dom
    widths = [int(w) for w in re.findall(r'data-natural-width="(\d+)"', dom)]
    assert len(widths) == 3 and all(w > 0 for w in widths), widths     # every thumbnail decoded
    rows = re.findall(r'<tr class="(\w+)">(.*?)</tr>', dom, re.S)
    by_status = {status: body for status, body in rows}
    assert "Onion cells under a microscope" in by_status["human"] and "Cells 1" in by_status["human"]
    assert "A diagram of a mitochondrion" in by_status["unreviewed"]
    assert f"altdeck alt --key {sha(91)[:12]}" in by_status["unreviewed"]
    assert "(no alt text)" in by_status["pending"] and "Cells 3" in by_status["pending"]

    # objects Pillow cannot draw, and charts, show themselves cut out of their rendered slide
    for deck, kind in (("emf.pptx", "ole"), ("chart.pptx", "chart")):
        probe = review / f"probe-{deck}.html"
        probe.write_text((review / f"{deck}.html").read_text().replace("</body>", PROBE + "</body>"))
        dom = chromium(probe.as_uri(), tmp_path)
        row = next(body for _, body in re.findall(r'<tr class="(\w+)">(.*?)</tr>', dom, re.S)
                   if f"<small>{kind}</small>" in body)
        width = re.search(r'<img src="img/r-\w+\.png" alt="" data-natural-width="(\d+)"', row)
        assert width and int(width.group(1)) > 50, row

    index = chromium((review / "index.html").as_uri(), tmp_path)
    assert 'href="week1.pptx.html"' in index and 'href="emf.pptx.html"' in index
    shot = tmp_path / "week1.png"
    chromium(probe.as_uri(), tmp_path, screenshot=shot)
    assert shot.stat().st_size > 10_000
    if os.environ.get("ALTDECK_KEEP_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["ALTDECK_KEEP_SCREENSHOT"])


def git(cwd, *args):
    r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"})
    return r


def repo_with_hook(tmp_path, seed):
    """A course repository (one deck, a picture without alt text) with a bare remote and altdeck's
    pre-push hook installed: -> (course, remote)."""
    remote = tmp_path / "remote.git"
    assert git(tmp_path, "init", "-q", "--bare", str(remote)).returncode == 0
    (tmp_path / "course").mkdir()
    c = course(tmp_path / "course")
    make_deck(c / "a.pptx", [seed])
    (c / ".gitignore").write_text(".doit.db*\n.altdeck/\nbuild/\n")
    git(c, "init", "-q", "-b", "main")
    git(c, "remote", "add", "origin", str(remote))
    r = subprocess.run([ALTDECK, "install-hook", str(c)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return c, remote


def test_pre_push_hook_blocks_a_push_with_gaps(tmp_path):
    c, remote = repo_with_hook(tmp_path, 95)
    hook = c / ".git/hooks/pre-push"
    assert "altdeck pre-push hook" in hook.read_text() and os.access(hook, os.X_OK)

    doit(c)
    git(c, "add", "-A")
    assert git(c, "commit", "-qm", "deck").returncode == 0
    r = git(c, "push", "-q", "origin", "main")
    assert r.returncode != 0
    assert "a.pptx:1: Picture 2 — no alt text" in r.stdout + r.stderr
    assert git(remote, "rev-parse", "--verify", "-q", "refs/heads/main").returncode != 0   # nothing arrived

    doit(c, "alt", "--hash", sha(95)[:12], "--text", "Periodic table poster")
    r = build_commit_push(c, "alt text")
    assert r.returncode == 0, r.stdout + r.stderr
    assert git(remote, "show", "main:alt-text.yaml").stdout.count("Periodic table poster") == 1

    # a hook that is not altdeck's is never overwritten
    hook.write_text("#!/bin/sh\nexit 0\n")
    r = subprocess.run([ALTDECK, "install-hook", str(c)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "exists and is not altdeck's" in r.stderr
    assert hook.read_text() == "#!/bin/sh\nexit 0\n"


def test_pre_commit_hooks_file_runs_the_check(tmp_path):
    import yaml
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    by_id = {h["id"]: h for h in hooks}
    assert by_id["altdeck-check"]["entry"] == "altdeck check"
    c = course(tmp_path)
    make_deck(c / "a.pptx", [96])
    doit(c)
    # run the hook's entry the way pre-commit does (repo root as cwd, altdeck installed = on the path)
    r = subprocess.run(by_id["altdeck-check"]["entry"].replace("altdeck", ALTDECK, 1).split(), cwd=c,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "a.pptx:1: Picture 2 — no alt text" in r.stdout


def hooked_repo(tmp_path):
    """repo_with_hook, its deck's picture with a person's alt text, all committed and pushed."""
    c, remote = repo_with_hook(tmp_path, 97)
    doit(c)
    doit(c, "alt", "--key", sha(97)[:12], "--text", "Bohr model of an atom")
    r = build_commit_push(c, "first deck")
    assert r.returncode == 0, r.stdout + r.stderr
    return c, remote


def build_commit_push(c, message):
    """`altdeck`, then commit everything and `git push` (through the hook): -> the push's result."""
    doit(c)
    git(c, "add", "-A")
    git(c, "commit", "-qm", message)
    return git(c, "push", "-q", "origin", "main")


def remote_head(remote):
    return git(remote, "rev-parse", "-q", "--verify", "refs/heads/main").stdout.strip()


def hook_lines(r) -> list:
    return [line for line in (r.stdout + r.stderr).splitlines() if "altdeck pre-push hook" in line]


def test_pre_push_hook_refuses_a_commit_that_differs_from_the_checked_working_tree(tmp_path):
    c, remote = hooked_repo(tmp_path)
    # a second deck with a gap is committed; an uncommitted `exclude:` would make the working tree pass
    make_deck(c / "b.pptx", [98])
    git(c, "add", "b.pptx")
    git(c, "commit", "-qm", "second deck")
    (c / "config.yaml").write_text((c / "config.yaml").read_text() + 'exclude: ["b.pptx"]\n')
    doit(c)
    assert doit(c, "check").returncode == 0                      # the working tree passes ...
    pushed = remote_head(remote)
    r = git(c, "push", "-q", "origin", "main")
    assert r.returncode != 0 and remote_head(remote) == pushed   # ... but that is not what is pushed
    [line] = hook_lines(r)
    assert line.startswith("altdeck pre-push hook: config.yaml differs from the pushed commit ") and \
        "(refs/heads/main)" in line and "git stash -u" in line

    # an uncommitted alt-text.yaml and an untracked deck are named too
    git(c, "checkout", "-q", "config.yaml")
    doit(c)
    doit(c, "alt", "--key", sha(98)[:12], "--text", "Water molecule")
    make_deck(c / "c.pptx", [97])
    r = git(c, "push", "-q", "origin", "main")
    assert r.returncode != 0 and remote_head(remote) == pushed
    [line] = hook_lines(r)
    assert "alt-text.yaml, c.pptx differ from the pushed commit" in line

    # --no-verify still skips the hook
    r = git(c, "push", "-q", "--no-verify", "origin", "main")
    assert r.returncode == 0 and remote_head(remote) != pushed


def test_a_clean_clone_of_what_the_hook_passed_passes_the_check(tmp_path):
    c, remote = hooked_repo(tmp_path)
    make_deck(c / "b.pptx", [98])
    doit(c)
    doit(c, "alt", "--key", sha(98)[:12], "--decorative")
    r = build_commit_push(c, "second deck, its picture decorative")
    assert r.returncode == 0 and hook_lines(r) == [], r.stdout + r.stderr

    clone = tmp_path / "clone"
    assert git(tmp_path, "clone", "-q", "-b", "main", str(remote), str(clone)).returncode == 0
    doit(clone)                                   # CI: build (offline: the committed config says so), then check
    r = doit(clone, "check")
    assert r.returncode == 0 and "all 2 deck(s) have alt text" in r.stdout
    flagged = cnvprs(clone / "build/accessible/b.pptx", 1)
    assert any(el.xpath("*/*/*[local-name()='decorative']") for el in flagged.values())
