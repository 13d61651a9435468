"""The web side: the admin (page tree, task monitor, JSON API) and the public site, on bottle.

    from cms.web import make_app, serve
    serve(lambda: cms.boot(url, site_dir=folder), "127.0.0.1", 8080)   # blocks; see cms.web.server

`make_app(site_factory)` is the WSGI application alone, for any WSGI server; `Server` runs it
on waitress (`start_in_thread()`, `stop()`), `ServerGroup` as several processes on one port.
"""
from .app import Web, make_app
from .server import Server, ServerGroup, serve

__all__ = ["Web", "make_app", "Server", "ServerGroup", "serve"]
