"""``python -m par_index`` is the same as the ``par-index`` command."""

from .cli import main

main()
