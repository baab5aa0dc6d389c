"""Forms of the website: the explore filters, editing a sequence, (re)starting an import, a
new sequence imported from Mapillary, and uploading photos."""

import math
from datetime import date
from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from mtp.mapillary.formats import KEY_MAX_LENGTH, TOKEN_MAX_LENGTH, key_problem, token_problem
from mtp.sequences.external_links import (
    GOOGLE_STREET_VIEW_MAX_LENGTH,
    parse_google_street_view,
    parse_strava,
)
from mtp.sequences.models import Image, Sequence, TransportType
from mtp.sequences.tags import parse_tags
from mtp.uploads.models import TITLE_MAX_LENGTH

# Photos offered as the cover on the edit page: evenly spread over the sequence, plus the
# current cover and the one the owner came to pick (``?cover=<key>`` from the sequence page).
COVER_CHOICES = 12


def transport_type_choices(*, with_groups: bool) -> list:
    """Choices grouped by parent: the children under each parent's name.

    ``with_groups`` adds each parent as a choice of its own ("Water: any"), for filtering.
    """
    types = list(TransportType.objects.select_related("parent").order_by("name"))
    children: dict[int, list[TransportType]] = {}
    for kind in types:
        if kind.parent_id is not None:
            children.setdefault(kind.parent_id, []).append(kind)
    groups = []
    for parent in (kind for kind in types if kind.parent_id is None):
        options = [(child.name, child.name) for child in children.get(parent.pk, [])]
        if with_groups:
            options.insert(0, (parent.name, f"Any {parent.name.lower()} type"))
        groups.append((parent.name, options))
    return groups


class ExploreForm(forms.Form):
    """The explore page's filters. Every field is optional; bad values are reported, not guessed."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name or description"}),
    )
    type = forms.ChoiceField(label="Transport type", required=False)
    tag = forms.CharField(
        label="Tags",
        required=False,
        max_length=500,
        help_text="Comma-separated; sequences with all of them.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    start = forms.DateField(
        label="Captured from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="Captured until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    bbox = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [  # type: ignore[attr-defined]
            ("", "Any transport type"),
            *transport_type_choices(with_groups=True),
        ]

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())

    def clean_tag(self) -> list[str]:
        return parse_tags(self.cleaned_data["tag"])

    def clean_bbox(self) -> tuple[float, float, float, float] | None:
        text = self.cleaned_data["bbox"].strip()
        if not text:
            return None
        try:
            west, south, east, north = (float(part) for part in text.split(","))
        except ValueError:
            raise ValidationError("The map area is not valid.") from None
        if not all(math.isfinite(value) for value in (west, south, east, north)):
            raise ValidationError("The map area is not valid.")
        # A map zoomed far out reaches past the antimeridian and the poles: clamp to the world.
        if east - west >= 360:
            west, east = -180.0, 180.0
        else:
            west = (west + 180) % 360 - 180
            east = (east + 180) % 360 - 180
        south, north = max(-90.0, south), min(90.0, north)
        if south > north:
            raise ValidationError("The map area is not valid.")
        return west, south, east, north

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        start: date | None = cleaned.get("start")
        end: date | None = cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        return cleaned

    @property
    def is_filtered(self) -> bool:
        """Whether any filter other than the map area is set."""
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in ("q", "type", "tag", "start", "end"))


def offer_transport_types(field: forms.ModelChoiceField) -> None:
    """A sequence's transport type field: the types one can choose, under their parents."""
    field.queryset = TransportType.objects.filter(parent__isnull=False)
    field.empty_label = None
    pk_by_name = dict(field.queryset.values_list("name", "pk"))
    field.choices = [
        (group, [(pk_by_name[name], name) for name, _ in options])
        for group, options in transport_type_choices(with_groups=False)
    ]


class SequenceForm(forms.ModelForm):
    """What the owner may change: name, description, transport type, tags and links.

    Tags and links are read by the rules the API uses (``parse_tags``, ``parse_strava``,
    ``parse_google_street_view``), which alone decide what is accepted and how it is stored.
    """

    tags = forms.CharField(
        label="Tags",
        required=False,
        help_text="Comma-separated, such as: river, autumn, city-walk.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    # Text, not a URL field: a URL field would add "http://" to a link typed without it.
    google_street_view = forms.CharField(
        label="Google Street View link",
        required=False,
        help_text="The share link of the Street View upload (https).",
        widget=forms.URLInput(attrs={"maxlength": GOOGLE_STREET_VIEW_MAX_LENGTH}),
    )

    cover = forms.ChoiceField(
        label="Cover photo",
        required=False,
        widget=forms.RadioSelect,
        help_text="Shown for the sequence on the explore page; none: its first photo.",
    )

    class Meta:
        model = Sequence
        fields = ("name", "description", "transport_type", "tags", "google_street_view", "strava")
        labels = {"strava": "Strava activity"}
        help_texts = {"strava": "The activity's number, or its link."}
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, picked: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        offer_transport_types(cast(forms.ModelChoiceField, self.fields["transport_type"]))
        if self.instance.pk and not self.is_bound:
            self.initial["tags"] = ", ".join(tag.name for tag in self.instance.tags.all())
        self.cover_photos = self._cover_photos(picked) if self.instance.pk else []
        if self.cover_photos:
            self.fields["cover"].choices = [  # type: ignore[attr-defined]
                (image.key, f"Photo {image.position + 1}") for image in self.cover_photos
            ]
            current = self.instance.cover
            offered = any(image.key == picked for image in self.cover_photos)
            if picked and offered and not self.is_bound:
                self.initial["cover"] = picked  # preselected: the owner came to pick it
            elif current is not None:
                self.initial["cover"] = current.key
        else:
            del self.fields["cover"]

    def _cover_photos(self, picked: str) -> list[Image]:
        """The photos offered as the cover, in order: a spread, the current one, the picked one."""
        images = Image.objects.filter(sequence=self.instance).only("key", "position")
        total = self.instance.image_count or images.count()
        if not total:
            return []
        step = max(1, math.ceil(total / COVER_CHOICES))
        positions = set(range(0, total, step))
        chosen = {image.pk: image for image in images.filter(position__in=positions)}
        wanted = [self.instance.cover_id] if self.instance.cover_id else []
        extra = images.filter(pk__in=wanted)
        if picked:
            extra = extra | images.filter(key=picked)
        for image in extra:
            chosen[image.pk] = image
        return sorted(chosen.values(), key=lambda image: image.position)

    def clean_cover(self) -> Image | None:
        key = self.cleaned_data.get("cover")
        if not key:
            return self.instance.cover
        return next(image for image in self.cover_photos if image.key == key)

    def clean_tags(self) -> list[str]:
        return parse_tags(self.cleaned_data["tags"])

    def clean_google_street_view(self) -> str:
        return parse_google_street_view(self.cleaned_data["google_street_view"])

    def clean_strava(self) -> str:
        return parse_strava(self.cleaned_data["strava"])


class ImportForm(forms.Form):
    """A Mapillary sequence key and the token that can read it, to import or import again."""

    mapillary_sequence_key = forms.CharField(
        label="Mapillary sequence key",
        max_length=KEY_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    mapillary_token = forms.CharField(
        label="Mapillary access token",
        max_length=TOKEN_MAX_LENGTH,
        strip=True,
        help_text="Used for this import only, then forgotten.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def clean_mapillary_sequence_key(self) -> str:
        key = self.cleaned_data["mapillary_sequence_key"]
        if problem := key_problem(key):
            raise ValidationError(problem)
        return key

    def clean_mapillary_token(self) -> str:
        token = self.cleaned_data["mapillary_token"]
        if problem := token_problem(token):
            raise ValidationError(problem)
        return token


class NewImportForm(ImportForm, forms.ModelForm):
    """A new sequence imported from Mapillary in one step: what the sequence is (name, way of
    travel, tags, description, by the rules the API uses) and the Mapillary sequence key and
    token of ``ImportForm``."""

    tags = forms.CharField(
        label="Tags",
        required=False,
        help_text="Comma-separated, such as: river, autumn, city-walk.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )

    class Meta:
        model = Sequence
        fields = ("name", "transport_type", "tags", "description")
        labels = {"transport_type": "Way of travel"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    field_order = [
        "name",
        "transport_type",
        "tags",
        "description",
        "mapillary_sequence_key",
        "mapillary_token",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        offer_transport_types(cast(forms.ModelChoiceField, self.fields["transport_type"]))
        self.fields["description"].required = False

    def clean_tags(self) -> list[str]:
        return parse_tags(self.cleaned_data["tags"])


class UploadSetForm(forms.Form):
    """What the upload page asks of a new upload set: a title, the way of travel, tags."""

    title = forms.CharField(label="Title", max_length=TITLE_MAX_LENGTH)
    transport_type = forms.ChoiceField(
        label="Way of travel",
        required=False,
        help_text="Left at “Usual”, the kind of your latest sequence (else Walk).",
    )
    tags = forms.CharField(
        label="Tags",
        required=False,
        max_length=500,
        help_text="Comma-separated, such as: river, autumn, city-walk.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["transport_type"])
        field.choices = [("", "Usual"), *transport_type_choices(with_groups=False)]

    def clean_tags(self) -> list[str]:
        return parse_tags(self.cleaned_data["tags"])
