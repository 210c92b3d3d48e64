"""``python -m depotsafe`` runs the command line."""

from depotsafe.cli import main

raise SystemExit(main())
