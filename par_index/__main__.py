"""``python -m par_index`` is the same as the ``par-index`` command."""

from par_index.cli.main import main

main()
