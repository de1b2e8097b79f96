"""`python3 -m actions ...`: altdeck's doit tasks from any course folder, and the git hook installer.

    python3 -m actions [doit arguments]     same as `doit -f <altdeck>/dodo.py -d .` (e.g. `check --strict`)
    python3 -m actions install-hook [DIR]   write .git/hooks/pre-push running `check` on the course in DIR
"""
import sys

from . import hook


def main(argv) -> int:
    if argv[:1] == ["install-hook"]:
        return hook.install_main(argv[1:])
    from doit.cmd_base import ModuleTaskLoader
    from doit.doit_cmd import DoitMain
    from . import review_tasks, tasks
    module = {name: getattr(m, name) for m in (tasks, review_tasks) for name in dir(m)
              if name.startswith("task_") or name == "DOIT_CONFIG"}
    return DoitMain(ModuleTaskLoader(module)).run(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
