"""The regional outlook: per region and year, open demand against the catalogue's supply, per constraint."""
