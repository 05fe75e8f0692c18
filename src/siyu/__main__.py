"""``python -m siyu`` runs the command line."""

from siyu.cli import main

main()
