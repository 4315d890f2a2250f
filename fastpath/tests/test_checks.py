import pytest
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.urls import clear_url_caches

from fastpath.checks import check_fast_path
from fastpath.middleware import FastPathMiddleware


def test_the_verified_pipeline_passes():
    assert check_fast_path() == []
    FastPathMiddleware(lambda request: None)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        pytest.param("SESSION_ENGINE", "django.contrib.sessions.backends.db", id="session-engine"),
        pytest.param("AUTHENTICATION_BACKENDS", ["django.contrib.auth.backends.ModelBackend"], id="backends"),
    ],
)
def test_a_changed_setting_stops_the_node_from_starting(settings, setting, value):
    setattr(settings, setting, value)
    errors = check_fast_path()
    assert [error.id for error in errors] == ["fastpath.E001"] and setting in errors[0].msg
    with pytest.raises(ImproperlyConfigured, match=setting):
        FastPathMiddleware(lambda request: None)


def test_an_added_middleware_fails_the_check(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    assert any("MIDDLEWARE" in error.msg for error in check_fast_path())


def test_a_lanes_view_moved_to_another_path_fails_the_check():
    from django.urls import path

    from salas import api
    from salas import urls as salas_urls

    original = list(salas_urls.urlpatterns)
    salas_urls.urlpatterns[:] = [p for p in original if p.name != "api-list"] + [
        path("sala/todas", api.sala_list_api, name="api-list")
    ]
    clear_url_caches()
    try:
        errors = check_fast_path()
    finally:
        salas_urls.urlpatterns[:] = original
        clear_url_caches()
    assert [error.id for error in errors] == ["fastpath.E001"] and "salas:api-list" in errors[0].msg


def test_with_both_lanes_off_the_middleware_steps_aside(settings):
    settings.ROOM_LIST_FAST_LANE = False
    settings.ROOM_CREATE_FAST_LANE = False
    assert check_fast_path() == []
    with pytest.raises(MiddlewareNotUsed):
        FastPathMiddleware(lambda request: None)
