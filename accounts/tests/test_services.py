import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.exceptions import ValidationError

from accounts.services import user_create
from tests.credentials import PASSWORD

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    """A real hasher that counts its work: sign-up must not pay it for a refused form."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def test_a_taken_username_or_email_costs_no_password_hash(user, counting_hasher):
    for username, email in ((user.username, "nuevo@example.com"), ("nuevo", user.email)):
        with pytest.raises(ValidationError) as caught:
            user_create(username=username, email=email, password=PASSWORD)
        assert caught.value.error_dict.keys() & {"username", "email"}
    assert counting_hasher.calls == 0
    created = user_create(username="nuevo", email="nuevo@example.com", password=PASSWORD)
    assert counting_hasher.calls == 1 and created.check_password(PASSWORD)
