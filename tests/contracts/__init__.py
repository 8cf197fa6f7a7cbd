"""The contracts' behaviour, on the embedded chain with the suite deployed (the ``env`` fixture)."""
