"""`python -m adventure_elt` runs the command line."""

from adventure_elt.cli import main

main()
