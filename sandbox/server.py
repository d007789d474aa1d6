"""Serve the sandbox with gunicorn: one process, several threads, on 127.0.0.1 by default."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class SandboxServer(BaseApplication):
    def __init__(self, application, options: dict):
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        return self.application


def serve(*, host: str, port: int, threads: int, access_log: bool = False) -> None:
    from django.core.wsgi import get_wsgi_application

    options = {
        "bind": f"{host}:{port}",
        "workers": 1,  # the rate limiter lives in this one process
        "worker_class": "gthread",
        "threads": threads,
        # Injected timeouts hold a request for a while; gthread workers keep heart-beating meanwhile.
        "timeout": 120,
        "graceful_timeout": 5,
        # An idle connection is kept as long as a client's pool may keep it (nginx's default): closed after 5 s, a
        # pooled connection reused at the moment the server closed it failed, and a refresh's GET was sent again
        # (correctly, but one call more than the refresh needed).
        "keepalive": 75,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "partner-api-sandbox",
    }
    SandboxServer(get_wsgi_application(), options).run()
