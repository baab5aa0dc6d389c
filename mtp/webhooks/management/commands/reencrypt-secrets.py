"""``mtp reencrypt-secrets``: after a SECRET_KEY rotation, move stored secrets to the new key.

Webhook signing secrets and the Mapillary tokens of unfinished imports are encrypted under
keys derived from ``SECRET_KEY``. While the old key is listed in ``SECRET_KEY_FALLBACKS``
they still decrypt; this command encrypts them again under the current key, so that the
old key can then be dropped (docs/DEPLOY.md, "Secrets").
"""

from django.core.management.base import BaseCommand
from oauth2_provider.models import get_application_model

from mtp.developers.webhook_secrets import KEY_PURPOSE as WEBHOOK_PURPOSE
from mtp.imports.models import ImportJob
from mtp.imports.tokens import KEY_PURPOSE as TOKEN_PURPOSE
from mtp.lib.secretbox import Undecryptable, reencrypt


class Command(BaseCommand):
    help = "Encrypt stored secrets again under the current SECRET_KEY (after a key rotation)."

    def handle(self, *args, **options) -> None:
        Application = get_application_model()
        stores = [
            ("webhook signing secrets", Application, "webhook_secret_ciphertext", WEBHOOK_PURPOSE),
            (
                "Mapillary tokens of unfinished imports",
                ImportJob,
                "token_ciphertext",
                TOKEN_PURPOSE,
            ),
        ]
        unreadable_total = 0
        for label, model, field, purpose in stores:
            moved = unreadable = 0
            rows = model.objects.exclude(**{field: ""}).values_list("pk", field)
            for pk, ciphertext in rows.iterator():
                try:
                    fresh = reencrypt(purpose, ciphertext)
                except Undecryptable:
                    unreadable += 1
                    continue
                # Conditional: a value changed meanwhile (a rotation, a finished import) stays.
                moved += model.objects.filter(pk=pk, **{field: ciphertext}).update(**{field: fresh})
            unreadable_total += unreadable
            self.stdout.write(f"{label}: {moved} encrypted again, {unreadable} unreadable")
        if unreadable_total:
            self.stderr.write(
                "Some secrets could not be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS: "
                "webhook secrets among them are replaced on next use (their developers must "
                "copy the new one), imports among them fail and must be sent again."
            )
