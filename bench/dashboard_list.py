"""How long the AI tasks page takes on the server with 10,000 tasks in the table.

Fills a scratch SQLite database (or the PostgreSQL given with --database-url) with one
user's tasks, finished ones with transcripts, then times the list view through Django's test
client: the full page, the htmx table fragment, a search, a sort and a status filter.

    .venv/bin/python bench/dashboard_list.py [--tasks 10000] [--repeat 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="aitasks-bench-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        SECRET_KEY="bench",
        DATABASE_URL=args.database_url or f"sqlite:///{scratch / 'bench.sqlite3'}",
        AITASKS_DATA_DIR=str(scratch),
        STATIC_ROOT=str(scratch),  # whitenoise warns about a missing one; the bench serves no files
    )
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    setup_test_environment()
    call_command("migrate", verbosity=0)
    from aitasks.models import Status, Task

    user = User.objects.create_user("bench")
    started = time.perf_counter()
    fill(user, args.tasks, Task, Status)
    print(
        f"{args.tasks} tasks written in {time.perf_counter() - started:.1f} s ({settings.DATABASES['default']['ENGINE']})"
    )

    client = Client()
    client.force_login(user)
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "tasks-table"}
    cases = [
        ("full page, newest first", "/", {}, {}),
        ("table fragment (htmx)", "/", {}, htmx),
        ("search in URL and text", "/", {"q": "budget"}, htmx),
        ("search by ID prefix", "/", {"q": str(Task.objects.order_by("?").first().pk)[:8]}, htmx),
        ("sort by URL", "/", {"sort": "url"}, htmx),
        ("sort by contributed time", "/", {"sort": "-time"}, htmx),
        ("filter FAILURE, page 3", "/", {"status": "FAILURE", "page": 3}, htmx),
        ("API list, page 500", "/streaming/ai/tasks", {"page": 500}, {}),
    ]
    from aitasks.models import ApiKey

    api_key = ApiKey.issue(user)[1]
    print(f"\n{'request':<30} {'median ms':>10} {'p95 ms':>8} {'rows':>6}")
    for name, path, query, headers in cases:
        if path.startswith("/streaming"):
            headers = {"HTTP_AUTHORIZATION": f"APIKey {api_key}"}
        timings = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            response = client.get(path, query, **headers)
            timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code in (200, 286), (name, response.status_code)
        rows = (
            response.content.decode().count("<tr data-task-id")
            if not path.startswith("/streaming")
            else len(response.json()["results"])
        )
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        print(f"{name:<30} {statistics.median(timings):>10.1f} {p95:>8.1f} {rows:>6}")


def fill(user: object, count: int, Task: type, Status: type) -> None:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    statuses = [Status.SUCCESS] * 7 + [Status.FAILURE, Status.REVOKED, Status.PENDING]
    words = "budget meeting quarterly results product launch keynote interview weather report".split()
    batch = []
    for index in range(count):
        status = statuses[index % len(statuses)]
        created = now - timedelta(minutes=index)
        done = status in (Status.SUCCESS, Status.FAILURE, Status.REVOKED)
        text = " ".join(words[(index + k) % len(words)] for k in range(40)) if status == Status.SUCCESS else ""
        batch.append(
            Task(
                owner=user,
                url=f"https://cdn.example.com/videos/{index:05d}/480.mp4",
                status=status,
                progress=100 if status == Status.SUCCESS else 0,
                text=text,
                error="cannot download url: HTTP 404" if status == Status.FAILURE else "",
                result={"cues": [], "languages": ["eng"], "speech_detected": True}
                if status == Status.SUCCESS
                else None,
                created_at=created,
                started_at=created + timedelta(seconds=2) if done else None,
                completed_at=created + timedelta(seconds=30 + index % 90) if done else None,
            )
        )
        if len(batch) == 1000:
            Task.objects.bulk_create(batch)
            batch = []
    Task.objects.bulk_create(batch)


if __name__ == "__main__":
    main()
