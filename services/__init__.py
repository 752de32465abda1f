"""The four Groeiruimte services; none imports another."""
