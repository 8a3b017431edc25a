"""``python -m importgraph``."""

from .cli import main

main()
