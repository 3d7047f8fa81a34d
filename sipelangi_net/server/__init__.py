"""The SiPelangi ticket API server: HTTP + JSON over any ticket store (the contract is ``docs/openapi.yaml``).

SiPelangi publishes no API, so this package defines one and serves it
(``sipelangi-net serve``); :class:`~sipelangi_net.tickets.http.HttpStore` is
its client. Every path under ``/api/v1`` needs ``Authorization: Bearer
<token>`` except ``/api/v1/health``.

- :mod:`.app`: ``create_app`` (routes, guard, error handlers) and the OpenAPI document;
- :mod:`.serve`: ``serve``, uvicorn on a socket bound here (loopback unless told);
- :mod:`.auth`: bearer tokens resolved to a principal (one token today, accounts later);
- :mod:`.guard`: the ASGI front door: token, then body size on the stream and JSON bounds;
- :mod:`.models`: request and response bodies, path and query values;
- :mod:`.store`: the store used one request at a time, its errors as API errors, tickets as JSON;
- :mod:`.errors`: the error body and handlers;
- :mod:`.routes`: ``health``, ``tickets``, ``notifications``.
"""
