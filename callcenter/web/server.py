"""Uvicorn inside the daemon's own event loop: no thread, no second loop, and no
signal handlers of its own (the daemon owns SIGTERM and shuts the server down)."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI


class _InLoopServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class WebServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False,
                                lifespan="off", timeout_graceful_shutdown=2,
                                proxy_headers=False, server_header=False)
        self._server = _InLoopServer(config)
        # Our own structured log says when the web server listens; uvicorn's plain
        # start/stop lines would only break the JSON log stream.
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        self.host, self.port = host, port

    async def serve(self) -> None:
        # Bind first so a port in use fails loudly at start, not later.
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        await self._server.serve(sockets=[sock])

    @property
    def started(self) -> bool:
        return self._server.started

    def stop(self) -> None:
        self._server.should_exit = True
