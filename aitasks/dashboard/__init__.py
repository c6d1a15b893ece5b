"""The dashboard: the portal pages for content editors (server-rendered, live with htmx)."""
