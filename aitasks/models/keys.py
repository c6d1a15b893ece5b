from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiKey(models.Model):
    """An API key; only its SHA-256 is stored (keys are random, 256 bits: no slow hash needed)."""

    PREFIX_LENGTH = 12

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=PREFIX_LENGTH, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user: Any, name: str = "") -> tuple[ApiKey, str]:
        """Create a key for `user`; the plain key is returned once and never stored."""
        key = "ait_" + secrets.token_urlsafe(32)
        api_key = cls.objects.create(user=user, name=name, prefix=key[: cls.PREFIX_LENGTH], key_hash=_hash_key(key))
        return api_key, key

    @classmethod
    def authenticate(cls, key: str) -> ApiKey | None:
        digest = _hash_key(key)
        for candidate in cls.objects.active().filter(prefix=key[: cls.PREFIX_LENGTH]).select_related("user"):
            if hmac.compare_digest(candidate.key_hash, digest):
                now = timezone.now()
                if not candidate.last_used_at or now - candidate.last_used_at > _LAST_USED_RESOLUTION:
                    ApiKey.objects.filter(pk=candidate.pk).update(last_used_at=now)
                return candidate
        return None

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


_LAST_USED_RESOLUTION = timedelta(minutes=1)  # spare the database a write per API call
