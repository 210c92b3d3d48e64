"""depotsafe.data: rule sets and sample depots shipped with the package."""
