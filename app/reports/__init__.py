"""The monitor report (issue 18, DOMAIN.md "Monitor indicators"): the figures the municipality reports to its
council, counted in SQL from cases, their history and signals, with small cells suppressed."""
