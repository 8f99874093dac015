"""The HTTP server side: the ASGI→WSGI bridge, the lifespan and the HTTP protocol (no app imports it)."""
