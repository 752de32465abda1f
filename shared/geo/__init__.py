"""Maps of the Netherlands drawn offline from shipped boundaries (CBS, Kadaster, CC BY 4.0)."""
