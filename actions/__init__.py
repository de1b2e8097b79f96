"""altdeck: accessible copies of a course's PowerPoint decks, as an incremental build on doit.

Installed, the package's import name is `altdeck` (the repository keeps its
folder `actions/`; pyproject.toml maps one to the other), so nothing else
named `actions` can shadow it.  Layers, each importing only those below it:
tasks -> run -> build -> ooxml / describe / store; review beside.
"""
__version__ = "0.2.0"
