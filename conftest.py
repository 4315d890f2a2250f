"""Fixtures shared by every app's tests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from tests.credentials import PASSWORD


class JsonClient(Client):
    """A test client that sends and reads JSON, like the API's real clients."""

    def send(self, method: str, path: str, data: Any = None, **extra: Any):
        body = json.dumps(data) if data is not None and not isinstance(data, str | bytes) else data
        kwargs = {"content_type": "application/json"} if body is not None else {}
        return (
            getattr(self, method.lower())(path, body, **kwargs, **extra)
            if body is not None
            else getattr(self, method.lower())(path, **extra)
        )


@pytest.fixture
def user(db):
    return UserFactory(password=PASSWORD)


@pytest.fixture
def other_user(db):
    return UserFactory(password=PASSWORD)


@pytest.fixture
def staff_user(db):
    return UserFactory(password=PASSWORD, is_staff=True)


@pytest.fixture
def api() -> JsonClient:
    return JsonClient()


@pytest.fixture
def user_api(user) -> JsonClient:
    client = JsonClient()
    client.force_login(user)
    return client


@pytest.fixture
def other_api(other_user) -> JsonClient:
    client = JsonClient()
    client.force_login(other_user)
    return client


@pytest.fixture
def staff_api(staff_user) -> JsonClient:
    client = JsonClient()
    client.force_login(staff_user)
    return client


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Unit tests render pages without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
