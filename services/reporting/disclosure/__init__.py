"""Disclosure control: what the ministry may see of reporting's figures (the policy: docs/disclosure.md).

rules.py says when one number may be shown; releases.py when a figure may move; views.py builds the ministry's
and the coordinator's views.
"""
