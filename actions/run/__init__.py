"""Everything about a batch of decks: doit's runner extended (doit_ext, the only module that touches
doit's internals), the batch's policies (runner), one deck in its own process (deckproc), the run
lock, the failed-deck history, the JSON-lines log and what the console shows."""
