from __future__ import annotations

from django.apps import AppConfig


class AitasksConfig(AppConfig):
    name = "aitasks"
    verbose_name = "AI tasks"
    default_auto_field = "django.db.models.BigAutoField"
