"""The taskforce workbench: web pages for people, composed from the other services' HTTP APIs."""
