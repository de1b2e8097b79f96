"""What builds leave for later: per-image alt text (alt-text.yaml, the source of truth, and its
SQLite journal), the per-deck JSON reports, and whether a deck's last build still agrees with them."""
