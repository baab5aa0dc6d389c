"""The e-mail telling an owner their import failed goes out whatever the sequence's name holds."""

import pytest

from mtp.imports.models import ImportJob
from mtp.imports.notify import send_failure_email
from testing.builders import failed_import

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    [
        "Lake\rwalk",
        "Lake\r\nwalk",
        "Lake\nwalk",
        "Lake \x0b\x0c\x1c\x85\u2028\u2029 walk",
        "Lake\x01\x1b[31mwalk",
    ],
)
def test_the_failure_email_goes_out_whatever_the_sequence_name_holds(owner, mailoutbox, name):
    owner.import_failure_emails = True
    owner.save()
    sequence = failed_import(owner, name)
    job = ImportJob.objects.get(sequence=sequence)
    assert send_failure_email(job.pk) is True
    assert len(mailoutbox) == 1
    subject = mailoutbox[0].subject
    assert subject.startswith("The import of “Lake") and subject.endswith("walk” failed")
    assert not any(character in subject for character in "\r\n\x0b\x0c\x1c\x85\u2028\u2029\x01")
