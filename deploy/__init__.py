"""How to run Groeiruimte: the local stack without Docker, container images, compose."""
