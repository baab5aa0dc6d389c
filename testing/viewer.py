"""The photo viewer in a real browser: sequences whose photos the Mapillary stand-in serves, and
waiting for the viewer to show a photo."""

from testing.builders import publish

WAIT_MS = 20_000
# Each sequence's photo keys, in order, read before the browser starts.
KEYS: dict[int, list[str]] = {}


def photographed(owner, fake_mapillary, name: str, count: int, *, pano: bool = False):
    """A published sequence whose photos are the stand-in's, going north-east, each looking
    10 degrees further round than the one before."""
    served = fake_mapillary.add_sequence(f"{name.lower().replace(' ', '')}seq", count, pano=pano)
    sequence = publish(owner, name, photos=count, start=(4.89, 52.37), is_pano=pano)
    for image, key in zip(sequence.images.order_by("position"), served.all_ids(), strict=True):
        image.key = image.mapillary_key = key
        image.is_pano = pano
        image.compass_angle = (90 + 10 * image.position) % 360
        image.save()
    KEYS[sequence.pk] = served.all_ids()
    return sequence


def shown_key(page) -> str:
    return page.locator("#viewer").get_attribute("data-shown") or ""


def wait_for_photo(page, key: str) -> None:
    try:
        _wait_for_photo(page, key)
    except Exception:
        state = page.evaluate(
            """() => ({shown: document.getElementById("viewer").dataset.shown,
              status: document.getElementById("photo-status").textContent,
              src: (document.getElementById("photo-image") || {}).src,
              url: location.href})"""
        )
        raise AssertionError(f"photo {key} not shown: {state}") from None


def _wait_for_photo(page, key: str) -> None:
    page.wait_for_function(
        """(key) => {
          const viewer = document.getElementById("viewer");
          const image = document.getElementById("photo-image");
          return viewer.dataset.shown === key && image && image.complete && image.naturalWidth > 0;
        }""",
        arg=key,
        timeout=WAIT_MS,
    )


def open_page(page, log, fake_mapillary, path: str) -> None:
    log.allowed.append(fake_mapillary.url)
    page.goto(f"{log.base_url}{path}")
    page.wait_for_function(
        "() => document.getElementById('viewer') && document.getElementById('viewer').mtpViewer",
        timeout=WAIT_MS,
    )
