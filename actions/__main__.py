"""`python3 -m actions ...`: altdeck's helper commands.

    python3 -m actions init [DIR]           write a starter dodo.py and config.yaml so plain `doit` works in DIR
    python3 -m actions install-hook [DIR]   write .git/hooks/pre-push running `doit check` on the course in DIR
    python3 -m actions [doit arguments]     same as `doit -f <altdeck>/dodo.py -d .` (e.g. `check --strict`)
"""
import sys


def main(argv) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if argv[:1] == ["init"]:
        from .init import init
        for line in init(argv[1] if len(argv) > 1 else "."):
            print(line)
        print("next: cd into the folder and run `doit`")
        return 0
    if argv[:1] == ["install-hook"]:
        from . import hook
        return hook.install_main(argv[1:])
    from doit.cmd_base import ModuleTaskLoader
    from doit.doit_cmd import DoitMain
    from . import tasks
    return DoitMain(ModuleTaskLoader({name: getattr(tasks, name) for name in tasks.__all__})).run(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
