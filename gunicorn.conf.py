"""gunicorn settings; each can be overridden from the environment (BIND, WEB_WORKERS, ...)."""

from __future__ import annotations

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 20
# gthread, with request heads read off the threads and slow bodies cut off
# (AITASKS_HEADER_TIMEOUT_S, AITASKS_BODY_TIMEOUT_S, AITASKS_BODY_MIN_RATE).
worker_class = "aitasks.web_worker.SlowClientsWorker"
# Request bodies are small JSON (uploads are streamed by the app); keep headers bounded.
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
