"""Seed the vocabulary of guidebook and point-of-interest categories (kept in the admin after)."""

from django.db import migrations

CATEGORIES = [
    ("nature", "Nature"),
    ("history", "History"),
    ("architecture", "Architecture"),
    ("art", "Art and culture"),
    ("viewpoint", "Viewpoint"),
    ("water", "Water"),
    ("food-and-drink", "Food and drink"),
    ("sport", "Sport"),
    ("transport", "Transport"),
    ("accessibility", "Accessibility"),
    ("safety", "Safety"),
    ("other", "Other"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("guidebooks", "Category")
    for position, (slug, name) in enumerate(CATEGORIES):
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})


def unseed(apps, schema_editor):
    Category = apps.get_model("guidebooks", "Category")
    Category.objects.filter(
        slug__in=[slug for slug, _ in CATEGORIES], guidebooks=None, pois=None
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("guidebooks", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
