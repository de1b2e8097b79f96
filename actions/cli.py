"""The `altdeck` command: doit with altdeck's tasks, on the current folder (or `-d DIR`).

Every doit command and option works (`altdeck -n 4`, `altdeck list`, `altdeck
check --strict`, `altdeck clean`, `altdeck info build:x.pptx`), plus `init`,
`install-hook` and `defaults`.  The course folder's own dodo.py, if any, is
not read: `doit` there runs whatever it defines.
"""
import os
import sys

HELP = """altdeck: accessible copies of a course's PowerPoint decks, as an incremental build on doit.

usage: altdeck [-d DIR] [doit options] [TASK ...]

  altdeck                       build what changed (alt text on every picture, chart and diagram)
  altdeck -n 4                  four decks at once
  altdeck check [--strict]      the publish gate: accessibility findings; errors fail (--strict: warnings)
  altdeck check --json          the course summary (scores, findings per rule and deck) as JSON
  altdeck review                write build/review/index.html for the people who sign alt text off
  altdeck alt --key K --text T  a person's text for an object (--reviewed: accept the model's text;
                                --decorative: screen readers skip it)
  altdeck waive --rule R ...    accept a finding: --key K (an object) or --deck D [--slide N --shape S]
  altdeck list | info TASK | clean | forget TASK     doit's commands on altdeck's tasks
  altdeck init [DIR]            write dodo.py, config.yaml and .gitignore lines into a course repo
  altdeck install-hook [DIR]    a git pre-push hook running `altdeck pre-push`
  altdeck pre-push [DIR]        what the hook runs: refuse when the decks, config.yaml or alt-text.yaml
                                differ from the commits being pushed (git's ref lines on stdin), then check
  altdeck defaults              print every setting with its default and meaning
  altdeck help [TASK|COMMAND]   doit's help; `altdeck TASK --help` is the same for a task

Exit codes: 0 all built, 1 some deck failed, 3 nothing could start (bad config, no model server,
another run in progress, an unwritable course or state folder), 4 decks ran but their record or
alt-text.yaml could not be written (one ERROR line says which), 130/143 interrupted."""

TASKS = ("build", "check", "review", "alt", "waive")


def _folder_command(name, argv, usage, run) -> int:
    """`altdeck NAME [DIR]`: run(DIR) prints what it did; one line and exit 3 when it cannot."""
    if any(a in ("-h", "--help") for a in argv):
        print(usage)
        return 0
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        sys.stderr.write(f"altdeck {name}: unexpected {' '.join(argv)!r}\n{usage}\n")
        return 2
    from .errors import AltdeckError
    try:
        for line in run(argv[0] if argv else "."):
            print(line)
    except AltdeckError as e:
        sys.stderr.write(f"ERROR: {e}\n")
        return 3
    except OSError as e:
        sys.stderr.write(f"ERROR: altdeck {name}: {e.filename}: {e.strerror}\n")
        return 3
    return 0


def _pre_push(argv) -> int:
    """`altdeck pre-push [DIR]`: the git hook's work (review/hook.py), then the check."""
    from .errors import AltdeckError
    from .review import hook
    if any(a in ("-h", "--help") for a in argv) or len(argv) > 1:
        print("usage: altdeck pre-push [COURSE_DIR] < git's pre-push ref lines")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    course = argv[0] if argv else "."
    try:
        refused = hook.refusal(course, [] if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read().splitlines())
    except AltdeckError as e:
        sys.stderr.write(f"ERROR: {e}\n")
        return 3
    if refused:
        sys.stderr.write(refused + "\n")
        return 1
    return _doit(["-d", course, "check"])


def _doit(argv) -> int:
    from doit.cmd_base import NamespaceTaskLoader, opt_cwd
    from doit.doit_cmd import DoitMain

    from . import tasks

    class Loader(NamespaceTaskLoader):
        """altdeck's tasks, with doit's `-d DIR` to work on another folder."""
        cmd_options = (opt_cwd,)

        def setup(self, opt_values):
            if opt_values.get("cwdPath"):
                os.chdir(opt_values["cwdPath"])
            self.namespace = {name: getattr(tasks, name) for name in tasks.__all__}

    DoitMain.BIN_NAME = "altdeck"
    return DoitMain(Loader()).run(_no_empty_args(argv))


def _no_empty_args(argv) -> list:
    """`--text ""` as `--text=`: doit 0.37 reads the first character of every argument and fails with
    an IndexError traceback on an empty one (plain `doit alt --text ""` still does)."""
    out = []
    for a in argv:
        if a == "" and out and out[-1].startswith("--") and "=" not in out[-1]:
            out[-1] += "="
        else:
            out.append(a)
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv in (["-h"], ["--help"]):
        print(HELP)
        return 0
    if argv[:1] == ["--version"]:
        from doit import __version__ as doit_version

        from . import __version__
        print(f"altdeck {__version__} (doit {'.'.join(map(str, doit_version))})")
        return 0
    if argv[:1] == ["init"]:
        from . import scaffold
        return _folder_command("init", argv[1:], scaffold.USAGE, scaffold.init)
    if argv[:1] == ["install-hook"]:
        from .review import hook
        return _folder_command("install-hook", argv[1:], hook.USAGE, hook.install)
    if argv[:1] == ["pre-push"]:
        return _pre_push(argv[1:])
    if argv[:1] == ["defaults"]:
        from .config import DEFAULTS_FILE
        sys.stdout.write(DEFAULTS_FILE.read_text(encoding="utf-8"))
        return 0
    if len(argv) >= 2 and argv[0] in TASKS and argv[-1] in ("-h", "--help"):
        argv = ["help", argv[0]]             # doit takes --help only as `help TASK`
    return _doit(argv)
