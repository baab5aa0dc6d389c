from django.db import migrations, models
from django.db.models import F, Q


def name_imported_photos(apps, schema_editor):
    """Every photo so far was imported: its key is its Mapillary key."""
    Image = apps.get_model("sequences", "Image")
    Image.objects.update(key=F("mapillary_key"))


class Migration(migrations.Migration):
    dependencies = [
        ("sequences", "0014_text_without_control_characters"),
    ]

    operations = [
        migrations.AddField(
            model_name="sequence",
            name="photo_source",
            field=models.CharField(
                choices=[("mapillary", "Mapillary"), ("upload", "Upload")],
                db_default="mapillary",
                default="mapillary",
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="sequence",
            constraint=models.CheckConstraint(
                condition=Q(photo_source__in=["mapillary", "upload"]),
                name="sequence_photo_source_valid",
            ),
        ),
        migrations.AddField(
            model_name="image",
            name="key",
            field=models.CharField(max_length=100, null=True),
        ),
        migrations.RunPython(name_imported_photos, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="image",
            name="key",
            field=models.CharField(max_length=100, unique=True),
        ),
        migrations.AlterField(
            model_name="image",
            name="mapillary_key",
            field=models.CharField(blank=True, max_length=100, null=True, unique=True),
        ),
        migrations.AddConstraint(
            model_name="image",
            constraint=models.CheckConstraint(condition=~Q(key=""), name="image_key_not_empty"),
        ),
    ]
