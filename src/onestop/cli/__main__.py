"""``python -m onestop.cli``: the ``onestop`` command, where the console script is not on PATH."""

from onestop.cli import main

main()
