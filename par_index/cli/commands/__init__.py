"""One module per ``par-index`` command; each exposes ``command`` (a click command)."""
