"""Guidebooks: ordered scenes, each one photo of a published sequence with its points of interest.

A guidebook is a draft, seen by its owner only, until it is published. A scene stands on an
image of a sequence: when that sequence is deleted, its scenes (and their points) go with it;
while it is not published (a draft again, or being imported anew), its scenes are hidden from
everyone and come back once it is published again (``Scene.objects.shown()``).

A point of interest is placed across the photo: ``x`` from its left edge (0) to its right (1),
``y`` from its top (0) to its bottom (1). On a 360° panorama (equirectangular) the same place
is a direction: ``yaw`` (-180 to 180 degrees, 0 the middle of the photo) and ``pitch`` (-90 to
90, 0 the horizon); both are kept as x and y and given in both forms.
"""

import uuid
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, LineString, Point, Polygon
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone

from mtp.lib.text import validate_line, validate_lines
from mtp.sequences.links import object_url, owner_data
from mtp.sequences.models import Image, Tag, image_columns, image_data
from mtp.sequences.tags import tags_named

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 10_000
TITLE_MAX_LENGTH = 100
POI_DESCRIPTION_MAX_LENGTH = 2000
URL_MAX_LENGTH = 500
# What one guidebook may hold: its reader page carries all of it, so the limits are what a
# reader's browser (and the server, on every read) can take: a few hundred points in all.
MAX_SCENES = 200
MAX_POIS = 100
MAX_GUIDEBOOK_POIS = 300


class TooManyScenes(Exception):
    """A guidebook already holds ``MAX_SCENES`` scenes."""


class TooManyPois(Exception):
    """A scene already holds ``MAX_POIS`` points of interest, or its guidebook
    ``MAX_GUIDEBOOK_POIS``."""


def xy_of(yaw: float, pitch: float) -> tuple[float, float]:
    """Where a direction of a panorama lies across its equirectangular photo."""
    return 0.5 + yaw / 360, 0.5 - pitch / 180


def yaw_pitch_of(x: float, y: float) -> tuple[float, float]:
    """The direction of a panorama at (x, y) across its photo."""
    return round((x - 0.5) * 360, 6), round((0.5 - y) * 180, 6)


def box_shape(west: float, south: float, east: float, north: float) -> GEOSGeometry:
    """The box as a polygon; as a line or a point when it has no width or height."""
    shape: GEOSGeometry
    if west == east and south == north:
        shape = Point(west, south)
    elif west == east or south == north:
        shape = LineString((west, south), (east, north))
    else:
        shape = Polygon.from_bbox((west, south, east, north))
    shape.srid = 4326
    return shape


class Category(models.Model):
    """One of a small vocabulary that sorts guidebooks and points of interest, kept in the admin."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0, help_text="Lists show lower first.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="category_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def to_dict(self) -> dict[str, Any]:
        return {"slug": self.slug, "name": self.name}


class GuidebookQuerySet(models.QuerySet):
    def published(self) -> "GuidebookQuerySet":
        return self.filter(published_at__isnull=False)

    def visible_to(self, user) -> "GuidebookQuerySet":
        """Published guidebooks, and every guidebook of ``user`` (drafts are their owner's)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.published()
        return self.filter(Q(published_at__isnull=False) | Q(owner=user))

    def matching_text(self, text: str) -> "GuidebookQuerySet":
        return self.filter(Q(name__icontains=text) | Q(description__icontains=text))

    def with_all_tags(self, names) -> "GuidebookQuerySet":
        through = self.model.tags.through  # type: ignore[attr-defined]
        queryset = self
        for name in set(names):
            queryset = queryset.filter(
                models.Exists(
                    through.objects.filter(guidebook_id=models.OuterRef("pk"), tag__name=name)
                )
            )
        return queryset

    def in_bbox(self, west: float, south: float, east: float, north: float) -> "GuidebookQuerySet":
        """Guidebooks with a shown scene whose photo lies in the box (west > east crosses the
        180th meridian); a box whose south is above its north holds nothing."""
        if south > north:
            return self.none()
        boxes = (
            [(west, south, east, north)]
            if west <= east
            else [(west, south, 180.0, north), (-180.0, south, east, north)]
        )
        condition = Q()
        for box in boxes:
            condition |= Q(image__point__intersects=box_shape(*box))
        scenes = Scene.objects.shown().filter(condition, guidebook_id=models.OuterRef("pk"))
        return self.filter(models.Exists(scenes))


class Guidebook(models.Model):
    """An ordered set of scenes with a name, a description, a category and tags."""

    unique_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guidebooks"
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guidebooks",
        help_text="The OAuth application that created it; told when it is published.",
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH, validators=[validate_line])
    description = models.TextField(
        blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH), validate_lines]
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="guidebooks"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="guidebooks")
    # None: a draft, seen by its owner only.
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GuidebookQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-published_at", "-id"], name="guidebook_published"),
            models.Index(fields=["owner", "-created_at"], name="guidebook_owner_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("name"), 1)
                & LessThanOrEqual(Length("name"), NAME_MAX_LENGTH),
                name="guidebook_name_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_LENGTH),
                name="guidebook_description_length",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:guidebook", args=[self.unique_id])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def tag_names(self) -> list[str]:
        return sorted(tag.name for tag in self.tags.all())

    def set_tags(self, names: list[str]) -> None:
        """Make ``names`` its tags, creating tags that do not exist yet (in a transaction)."""
        self.tags.set(tags_named(names))

    def touch(self) -> None:
        """Its scenes or their points changed: ``updated_at`` says when."""
        Guidebook.objects.filter(pk=self.pk).update(updated_at=timezone.now())

    def renumber(self, scene_ids: list[int]) -> None:
        """Give the scenes ``scene_ids`` the positions 0, 1, 2... in that order."""
        scenes = [Scene(pk=pk, position=position) for position, pk in enumerate(scene_ids)]
        Scene.objects.bulk_update(scenes, ["position"], batch_size=500)

    def add_scene(self, image: Image, *, position: int | None, **fields: Any) -> "Scene":
        """A new scene on ``image`` at ``position`` (the end when None), the others moved along.

        Call it in a transaction with the guidebook's row locked. Raises TooManyScenes.
        """
        order = self.scene_ids()
        if len(order) >= MAX_SCENES:
            raise TooManyScenes(f"A guidebook holds at most {MAX_SCENES} scenes.")
        position = len(order) if position is None else max(0, min(position, len(order)))
        scene = Scene.objects.create(guidebook=self, image=image, position=position, **fields)
        order.insert(position, scene.pk)
        self.renumber(order)
        return scene

    def move_scene(self, scene: "Scene", position: int) -> None:
        """Put ``scene`` at ``position``, the others moved along (in a transaction)."""
        order = [pk for pk in self.scene_ids() if pk != scene.pk]
        order.insert(max(0, min(position, len(order))), scene.pk)
        self.renumber(order)

    def scene_ids(self) -> list[int]:
        """Every scene's id in order, shown or hidden."""
        return list(self.scenes.order_by("position", "id").values_list("pk", flat=True))

    def to_dict(
        self, *, tags: list[str], scene_count: int, scenes: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The guidebook's JSON. With ``scenes`` (the shown ones' JSON, in order), those and
        the box around their photos."""
        data: dict[str, Any] = {
            "unique_id": str(self.unique_id),
            "name": self.name,
            "description": self.description,
            "category": self.category.to_dict() if self.category is not None else None,
            "tags": tags,
            "published": self.is_published,
            "published_at": self.published_at,
            "owner": owner_data(self.owner),
            "scene_count": scene_count,
            "url": object_url("web:guidebook", self.unique_id),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if scenes is not None:
            data["bbox"] = scene_bbox(scenes)
            data["scenes"] = scenes
        return data

    def shown_scenes(self) -> list[dict[str, Any]]:
        """The JSON of every shown scene, in order, with its image and points: two queries
        however many scenes (a guidebook is read far more often than it is written)."""
        # Values, not models: a GEOS point and three models per scene cost more than the rest.
        annotations, image_names = image_columns("image__")
        scenes = list(
            Scene.objects.shown()
            .filter(guidebook=self)
            .order_by("position", "id")
            .annotate(**annotations)
            .values_list(*SCENE_VALUES, *image_names)
        )
        # Each row: the scene's id, the rest of SCENE_VALUES, then its image's values.
        first_image_value = len(SCENE_VALUES)
        pois: dict[int, list[dict[str, Any]]] = {row[0]: [] for row in scenes}
        # Of the image's values, is_pano is the ninth (image_data's order).
        pano = {row[0]: row[first_image_value + 8] for row in scenes}
        rows = Poi.objects.filter(scene__in=list(pois)).order_by("id").values_list(*POI_VALUES)
        for scene_id, *values in rows:
            pois[scene_id].append(poi_data(*values, is_pano=pano[scene_id]))
        return [
            scene_data(
                *row[1:first_image_value],
                image=image_data(*row[first_image_value:]),
                pois=pois[row[0]],
            )
            for row in scenes
        ]

    def reading_dict(self) -> dict[str, Any]:
        """The JSON in full: every shown scene in order, with its image and points."""
        scenes = self.shown_scenes()
        tags = sorted(self.tags.values_list("name", flat=True))
        return self.to_dict(tags=tags, scene_count=len(scenes), scenes=scenes)

    def to_feature_collection(self, scenes: list[dict[str, Any]]) -> dict[str, Any]:
        """GeoJSON: a Point Feature per shown scene (``shown_scenes``), in order, at its
        photo's place, with the scene's JSON as its properties."""
        return {
            "type": "FeatureCollection",
            "bbox": scene_bbox(scenes),
            "properties": {"unique_id": str(self.unique_id), "name": self.name},
            "features": [
                {
                    "type": "Feature",
                    "id": scene["unique_id"],
                    "geometry": {
                        "type": "Point",
                        "coordinates": [scene["image"]["lon"], scene["image"]["lat"]],
                    },
                    "properties": scene,
                }
                for scene in scenes
            ],
        }


def scene_bbox(scenes: list[dict[str, Any]]) -> list[float] | None:
    """[west, south, east, north] around the scenes' photos; None without scenes."""
    if not scenes:
        return None
    lons = [scene["image"]["lon"] for scene in scenes]
    lats = [scene["image"]["lat"] for scene in scenes]
    return [min(lons), min(lats), max(lons), max(lats)]


# What a scene's JSON reads: of its sequence, its id and name (not its route); of its image, what
# Image.to_dict shows (not Mapillary's links); of its points, all but when they were written.
READING_FIELDS = [
    *("id", "guidebook_id", "position", "unique_id", "title", "description"),
    *(
        f"image__{name}"
        for name in (
            "id",
            "sequence_id",
            "key",
            "mapillary_key",
            "position",
            "point",
            "captured_at",
            "compass_angle",
            "altitude",
            "is_pano",
            "width",
            "height",
            "camera_make_id",
            "camera_model_id",
            "camera_make__name",
            "camera_model__name",
        )
    ),
]
# A scene's columns read with its image's (image_columns), in scene_data's order after its id.
SCENE_VALUES = (
    "id",
    "unique_id",
    "position",
    "title",
    "description",
    "image__sequence__unique_id",
    "image__sequence__name",
)
# A point's columns, in poi_data's order after its scene's id.
POI_VALUES = (
    "scene_id",
    "unique_id",
    "title",
    "description",
    "x",
    "y",
    "category__slug",
    "category__name",
    "url",
)


class SceneQuerySet(models.QuerySet):
    def shown(self) -> "SceneQuerySet":
        """Scenes whose photo belongs to a published sequence."""
        return self.filter(image__sequence__status="published")

    def for_reading(self) -> "SceneQuerySet":
        """Shown scenes in order with their image and their sequence's id and name, in one
        query however many."""
        return (
            self.shown()
            .select_related("image", "image__camera_make", "image__camera_model")
            .only(*READING_FIELDS)
            .annotate(
                sequence_unique_id=models.F("image__sequence__unique_id"),
                sequence_name=models.F("image__sequence__name"),
            )
            .order_by("position", "id")
        )


class Scene(models.Model):
    """One photo of a guidebook, in its place, with a title and a description."""

    guidebook = models.ForeignKey(Guidebook, on_delete=models.CASCADE, related_name="scenes")
    # 0-based; renumbered whenever scenes are added, moved or removed.
    position = models.PositiveIntegerField()
    # The sequence's deletion deletes its images, and so the scenes on them.
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="+")
    unique_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True, validators=[validate_line])
    description = models.TextField(
        blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH), validate_lines]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SceneQuerySet.as_manager()

    class Meta:
        ordering = ["guidebook_id", "position", "id"]
        indexes = [models.Index(fields=["guidebook", "position"], name="scene_guidebook_position")]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("title"), TITLE_MAX_LENGTH),
                name="scene_title_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_LENGTH),
                name="scene_description_length",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"Scene {self.position + 1}"

    def add_poi(self, **fields: Any) -> "Poi":
        """A new point of interest on the scene's photo, after the others.

        Call it in a transaction with the guidebook's row locked. Raises TooManyPois.
        """
        if self.pois.count() >= MAX_POIS:
            raise TooManyPois(f"A scene holds at most {MAX_POIS} points of interest.")
        if Poi.objects.filter(scene__guidebook_id=self.guidebook_id).count() >= MAX_GUIDEBOOK_POIS:
            raise TooManyPois(
                f"A guidebook holds at most {MAX_GUIDEBOOK_POIS} points of interest in all."
            )
        return Poi.objects.create(scene=self, **fields)

    def image_dict(self) -> dict[str, Any]:
        """The scene's image object with its stable photo links (of a published sequence)."""
        return self.image.to_dict()

    def to_dict(self, *, pois: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The scene's JSON: its image, the sequence it is from, and its points in order
        (``pois``: their JSON, when already built)."""
        if hasattr(self, "sequence_unique_id"):  # read with Scene.objects.for_reading()
            sequence_id, sequence_name = self.sequence_unique_id, self.sequence_name  # type: ignore[attr-defined]
        else:
            sequence_id, sequence_name = self.image.sequence.unique_id, self.image.sequence.name
        if pois is None:
            pois = [
                poi.to_dict(is_pano=self.image.is_pano)
                for poi in self.pois.select_related("category").order_by("id")
            ]
        return scene_data(
            self.unique_id,
            self.position,
            self.title,
            self.description,
            sequence_id,
            sequence_name,
            image=self.image_dict(),
            pois=pois,
        )


def scene_data(
    unique_id,
    position: int,
    title: str,
    description: str,
    sequence_id,
    sequence_name: str,
    *,
    image: dict[str, Any],
    pois: list[dict[str, Any]],
) -> dict[str, Any]:
    """A scene's JSON from its columns (``SCENE_VALUES``, read without building a model), its
    image's JSON and its points'."""
    return {
        "unique_id": str(unique_id),
        "position": position,
        "title": title,
        "description": description,
        "image": image,
        "sequence": {
            "unique_id": str(sequence_id),
            "name": sequence_name,
            "url": object_url("web:sequence", sequence_id),
        },
        "pois": pois,
    }


class Poi(models.Model):
    """A point of interest placed on a scene's photo."""

    scene = models.ForeignKey(Scene, on_delete=models.CASCADE, related_name="pois")
    unique_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    x = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(1)])
    y = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(1)])
    title = models.CharField(max_length=TITLE_MAX_LENGTH, validators=[validate_line])
    description = models.TextField(
        blank=True, validators=[MaxLengthValidator(POI_DESCRIPTION_MAX_LENGTH), validate_lines]
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="pois"
    )
    url = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scene_id", "id"]
        verbose_name = "point of interest"
        verbose_name_plural = "points of interest"
        constraints = [
            models.CheckConstraint(
                condition=Q(x__gte=0, x__lte=1, y__gte=0, y__lte=1), name="poi_xy_on_the_photo"
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("title"), 1)
                & LessThanOrEqual(Length("title"), TITLE_MAX_LENGTH),
                name="poi_title_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), POI_DESCRIPTION_MAX_LENGTH),
                name="poi_description_length",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def to_dict(self, *, is_pano: bool = False) -> dict[str, Any]:
        """The point's JSON; ``is_pano``: its photo is a panorama, so yaw and pitch are given."""
        category = self.category if self.category_id else None
        return poi_data(
            self.unique_id,
            self.title,
            self.description,
            self.x,
            self.y,
            category.slug if category else None,
            category.name if category else None,
            self.url,
            is_pano=is_pano,
        )


def poi_data(
    unique_id,
    title: str,
    description: str,
    x: float,
    y: float,
    category_slug: str | None,
    category_name: str | None,
    url: str,
    *,
    is_pano: bool,
) -> dict[str, Any]:
    """A point's JSON from its columns (``POI_VALUES``, read without building a model)."""
    yaw, pitch = yaw_pitch_of(x, y) if is_pano else (None, None)
    return {
        "unique_id": str(unique_id),
        "title": title,
        "description": description,
        "x": x,
        "y": y,
        "yaw": yaw,
        "pitch": pitch,
        "category": {"slug": category_slug, "name": category_name} if category_slug else None,
        "url": url or None,
    }
