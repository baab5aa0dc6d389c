"""The website's own application, ``mtp-web``: the client_id its pages send on public API reads."""

from django.db import migrations

WEB_CLIENT_ID = "mtp-web"


def create_web_application(apps, schema_editor):
    Application = apps.get_model("developers", "Application")
    Application.objects.get_or_create(
        client_id=WEB_CLIENT_ID,
        defaults={
            "name": "Map the Paths website",
            "user": None,
            "client_type": "public",
            # No redirect URI, so no flow can sign anyone in through it: it only names the
            # website on public API reads.
            "authorization_grant_type": "authorization-code",
            "redirect_uris": "",
            "skip_authorization": False,
        },
    )


def remove_web_application(apps, schema_editor):
    apps.get_model("developers", "Application").objects.filter(client_id=WEB_CLIENT_ID).delete()


class Migration(migrations.Migration):
    dependencies = [("developers", "0002_multiple_flows_and_redeemed_codes")]

    operations = [migrations.RunPython(create_web_application, remove_web_application)]
