"""HTML and inline SVG for the dashboard and the reports: rendered on the server, nothing loaded from outside."""
