"""Settings of the kill test's server process: the project's, with fast password hashing."""

from yilian.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
