import pytest
from django.db import IntegrityError, transaction

from mtp.accounts.models import User

pytestmark = pytest.mark.django_db


def test_usernames_are_unique_regardless_of_case(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("OLIVIA", "someone@example.org", "pw-irrelevant-here")


def test_email_addresses_are_unique_regardless_of_case_but_may_be_blank(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("olivia2", "Olivia@Example.org", "pw-irrelevant-here")
    User.objects.create_user("nomail1", "", "pw-irrelevant-here")
    User.objects.create_user("nomail2", "", "pw-irrelevant-here")


def test_the_public_name_prefers_the_display_name(owner):
    assert owner.public_name == "olivia"
    owner.display_name = "Olivia R."
    assert owner.public_name == "Olivia R."
