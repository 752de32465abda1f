"""Intake: ROM leads in, validated, de-duplicated and triaged; eligible ones open a case."""
