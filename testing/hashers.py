"""A quick password hasher for tests: the real algorithm and prefix, far fewer iterations."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1000
