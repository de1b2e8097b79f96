"""The pre-push hook with a real `git push`, and the pre-commit hooks file (the review page: test_review_app.py)."""
import os
import subprocess

from decks import cnvprs
from runs import ALTDECK, REPO
from test_store_file import course, doit, make_deck, sha


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
    assert "a.pptx:1: Picture 2 — error alt-missing: picture has no alt text" in r.stdout + r.stderr
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
    assert r.returncode != 0 and "a.pptx:1: Picture 2 — error alt-missing: picture has no alt text" in r.stdout


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
    assert r.returncode == 0 and "check: all 2 deck(s) pass (alt text on every object, no errors)" in r.stdout
    flagged = cnvprs(clone / "build/accessible/b.pptx", 1)
    assert any(el.xpath("*/*/*[local-name()='decorative']") for el in flagged.values())
