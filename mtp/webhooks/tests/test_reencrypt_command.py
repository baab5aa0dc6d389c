"""``mtp reencrypt-secrets``: stored secrets move to the new secret key after a rotation."""

from io import StringIO

import pytest
from django.core.management import call_command

from mtp.developers.models import Application
from mtp.developers.webhook_secrets import webhook_secret
from mtp.imports.jobs import request_import
from mtp.imports.models import ImportJob
from mtp.imports.tokens import decrypt_token
from mtp.mapillary.schemas import MapillaryUser
from mtp.sequences.models import Sequence
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE

pytestmark = pytest.mark.django_db

NEW_KEY = "the new secret key after rotation, long enough to be real"


def test_secrets_stored_under_the_old_key_work_with_the_new_key_alone(settings, app, owner, walk):
    secret = webhook_secret(app)
    sequence = Sequence.objects.create(owner=owner, name="Walk", transport_type=walk)
    job, _ = request_import(
        sequence,
        mapillary_sequence_key=RECORDED_SEQUENCE,
        token=OWNER.token,
        mapillary_user=MapillaryUser(id=OWNER.id, username=OWNER.username),
    )
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = NEW_KEY
    output = StringIO()
    call_command("reencrypt-secrets", stdout=output)
    assert "webhook signing secrets: 1 encrypted again, 0 unreadable" in output.getvalue()
    assert "Mapillary tokens of unfinished imports: 1 encrypted again" in output.getvalue()
    settings.SECRET_KEY_FALLBACKS = []
    assert webhook_secret(Application.objects.get(pk=app.pk)) == secret
    assert decrypt_token(ImportJob.objects.get(pk=job.pk).token_ciphertext) == OWNER.token


def test_a_secret_no_key_can_read_is_reported(settings, app):
    webhook_secret(app)
    settings.SECRET_KEY = NEW_KEY
    errors = StringIO()
    call_command("reencrypt-secrets", stdout=StringIO(), stderr=errors)
    assert "could not be decrypted" in errors.getvalue()
