"""One module per ``depotsafe`` command (see depotsafe.cli)."""
