// A sequence's photos, one by one: the current photo large, previous / next / play, the arrow
// keys, a strip of thumbnails around it, and the address (?photo=<key>) that opens it again.
// 360° panoramas open in Pannellum (drag or arrow keys to look around). The page renders the
// first photo, the buttons (as links) and the strip itself, so all of it works without this
// script; the script makes the steps instant: the next two photos are fetched ahead.
//
// Photos come as [key, lon, lat, compass angle, Unix time, 1 if 360°] in the map's config.
// A tour's page carries none: the viewer loads a route's photos from the API when it reaches
// that route (routeLoader), and until then their places in the list are empty (null).

import { createPanorama, fetchImage, loadPannellum, reducedMotion } from "./panorama.js";

const PRELOAD_AHEAD = 2;
// A photo not shown after this long says it is loading (a fast one never flickers).
const LOADING_DELAY_MS = 150;
const PLAY_INTERVAL_MS = 1500;
const KEPT = 64; // decoded photos kept for stepping back
// The shortest swipe that steps, in CSS pixels.
const SWIPE_PX = 50;

const TIME_FORMAT = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  timeZone: "UTC",
});
const COMPASS = ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"];

function when(seconds) {
  return seconds == null ? "" : `${TIME_FORMAT.format(new Date(seconds * 1000))} UTC`;
}

function coordinates(lon, lat) {
  const ns = lat >= 0 ? "N" : "S";
  const ew = lon >= 0 ? "E" : "W";
  return `${Math.abs(lat).toFixed(5)}° ${ns}, ${Math.abs(lon).toFixed(5)}° ${ew}`;
}

export class Viewer {
  constructor(root, config, photos, load = null) {
    this.root = root;
    this.config = config;
    this.photos = photos;
    this.load = load; // position -> Promise of {first, photos}: the route holding it
    this.index = new Map();
    photos.forEach((photo, position) => photo && this.index.set(photo[0], position));
    this.frame = root.querySelector("#photo-frame");
    this.status = root.querySelector("#photo-status");
    this.caption = root.querySelector("#photo-caption");
    this.strip = root.querySelector("#photo-strip");
    this.previousButton = root.querySelector("#photo-previous");
    this.nextButton = root.querySelector("#photo-next");
    this.playButton = root.querySelector("#photo-play");
    this.images = new Map(); // key -> {image, ready} for photos fetched (or being fetched)
    this.listeners = [];
    this.photoListeners = [];
    this.pano = null;
    this.playing = null;
    this.shown = 0; // steps shown, for anyone scripting the page (tests, benchmark)
    const current = new URLSearchParams(window.location.search).get("photo");
    // A tour's page says where ?photo= is: its photos are not loaded yet.
    this.position = this.index.has(current) ? this.index.get(current) : config.position || 0;
    this.bind();
    // Settles once the first photo is on screen (or could not be loaded).
    this.firstShown = new Promise((resolve) => {
      root.addEventListener("photoshown", resolve, { once: true });
    });
    this.show(this.position, { initial: true });
  }

  photoUrl(key, size) {
    return `${this.config.photoUrl}${encodeURIComponent(key)}/thumbnail?size=${size}`;
  }

  isPano(position) {
    return this.photos[position][5] === 1;
  }

  largeUrl(position) {
    return this.photoUrl(this.photos[position][0], this.isPano(position) ? "2048" : "1024");
  }

  describe(position) {
    const [, lon, lat, angle, at, pano] = this.photos[position];
    const parts = [`${this.config.name}: photo ${position + 1} of ${this.photos.length}`];
    if (pano) parts[0] += ", a 360° panorama";
    parts.push(`at ${coordinates(lon, lat)}`);
    if (angle != null && !pano) parts.push(`looking ${COMPASS[Math.round(angle / 45) % 8]}`);
    if (at != null) parts.push(`taken ${when(at)}`);
    return parts.join(", ");
  }

  onChange(listener) {
    this.listeners.push(listener);
    if (this.photos[this.position]) listener(this.position, this.heading());
  }

  // Told when photos arrive (a tour's route), to map them.
  onPhotos(listener) {
    this.photoListeners.push(listener);
  }

  // The photo at ``position`` known, loading its route first when it is not.
  async ensure(position) {
    if (!this.load || position < 0 || position >= this.photos.length || this.photos[position]) return;
    const { first, photos } = await this.load(position);
    if (this.photos[position]) return; // another call filled it meanwhile
    photos.forEach((photo, offset) => {
      this.photos[first + offset] = photo;
      this.index.set(photo[0], first + offset);
    });
    for (const listener of this.photoListeners) listener();
  }

  // The routes around ``position`` (the strip's reach), loaded before the viewer gets there;
  // the strip and the buttons follow once they are.
  ensureAround(position) {
    if (!this.load) return;
    const reach = 2 * this.config.stripSide + 1;
    const waits = [];
    for (let near = position - reach; near <= position + reach; near++) {
      if (near >= 0 && near < this.photos.length && !this.photos[near]) waits.push(this.ensure(near));
    }
    if (!waits.length) return;
    Promise.allSettled(waits).then(() => {
      if (this.position !== position) return;
      this.updateControls();
      this.updateStrip();
    });
  }

  // The direction the camera looks: the photo's compass angle, turned by the panorama's yaw.
  heading() {
    const angle = this.photos[this.position][3];
    if (angle == null) return null;
    const yaw = this.pano ? this.pano.getYaw() : 0;
    return (((angle + yaw) % 360) + 360) % 360;
  }

  notify() {
    for (const listener of this.listeners) listener(this.position, this.heading());
  }

  // -- fetching ahead ----------------------------------------------------------------------

  fetchPhoto(position) {
    const key = this.photos[position][0];
    let entry = this.images.get(key);
    if (entry) {
      this.images.delete(key); // most recently used last
      this.images.set(key, entry);
      return entry;
    }
    // Panoramas become a WebGL texture: a cross-origin photo must be fetched with CORS.
    entry = fetchImage(this.largeUrl(position), { pano: this.isPano(position) });
    this.images.set(key, entry);
    while (this.images.size > KEPT) this.images.delete(this.images.keys().next().value);
    return entry;
  }

  preload(position) {
    this.ensureAround(position);
    for (let step = 1; step <= PRELOAD_AHEAD; step++) {
      const ahead = this.playingBackwards ? position - step : position + step;
      if (ahead >= 0 && ahead < this.photos.length && this.photos[ahead]) this.fetchPhoto(ahead);
    }
  }

  // -- showing a photo ---------------------------------------------------------------------

  async show(position, { initial = false } = {}) {
    position = Math.max(0, Math.min(this.photos.length - 1, position));
    const changed = position !== this.position || initial;
    // Where the panorama on screen looks, to look the same way from the next one.
    const heading = this.pano ? this.heading() : null;
    const request = ++this.shown;
    if (!this.photos[position]) {
      try {
        await this.ensure(position);
      } catch (error) {
        console.error("Photos could not be loaded:", error.message);
      }
      if (request !== this.shown) return; // another step came first
      if (!this.photos[position]) {
        this.status.textContent = "The photos of this route could not be loaded.";
        return;
      }
    }
    this.position = position;
    const key = this.photos[position][0];
    if (changed && !initial) this.updateAddress(key);
    this.updateControls();
    if (!initial) this.updateStrip(); // the page rendered the same strip
    this.caption.replaceChildren(...this.captionParts(position));
    this.notify();

    const frame = this.frame;
    frame.classList.toggle("is-pano", this.isPano(position));
    let shownImage = frame.querySelector(".photo-image");
    let entry;
    if (initial && shownImage) {
      // The page's own <img>: already on its way, perhaps painted.
      const image = shownImage;
      entry = {
        image,
        ready: image.decode().then(
          () => true,
          () => image.complete && image.naturalWidth > 0,
        ),
      };
      this.images.set(key, entry);
    } else {
      entry = this.fetchPhoto(position);
    }
    const slow = window.setTimeout(() => {
      if (request !== this.shown) return;
      frame.classList.add("loading");
      frame.setAttribute("aria-busy", "true");
      this.status.textContent = `Loading photo ${position + 1}…`;
    }, LOADING_DELAY_MS);
    const ok = await entry.ready;
    window.clearTimeout(slow);
    if (request !== this.shown) return; // another step came first
    frame.classList.remove("loading");
    frame.removeAttribute("aria-busy");
    this.status.textContent = ok ? "" : "This photo could not be loaded.";
    frame.classList.toggle("failed", !ok);

    if (this.isPano(position) && ok) {
      await this.showPano(entry.image, position, request, heading);
    } else {
      this.closePano();
      const image = entry.image;
      image.className = "photo-image";
      image.id = "photo-image";
      image.alt = this.describe(position);
      image.hidden = !ok;
      if (shownImage !== image) {
        if (shownImage) shownImage.replaceWith(image);
        else frame.prepend(image);
      }
    }
    frame.dataset.shown = key;
    this.root.dataset.shown = key;
    this.preload(position);
    this.root.dispatchEvent(new CustomEvent("photoshown", { detail: { key, position, ok } }));
  }

  captionParts(position) {
    const [, , , , at, pano] = this.photos[position];
    const parts = [`Photo ${position + 1} of ${this.photos.length}`];
    if (at != null) {
      const time = document.createElement("time");
      time.dateTime = new Date(at * 1000).toISOString();
      time.textContent = when(at);
      parts.push(" · ", time);
    }
    if (pano) parts.push(" · 360° panorama: drag, or focus it and use the arrow keys, to look around");
    return parts;
  }

  async showPano(image, position, request, heading) {
    let pannellum;
    try {
      pannellum = await loadPannellum(this.config);
    } catch (error) {
      this.status.textContent = error.message;
      return;
    }
    if (request !== this.shown) return;
    // Keep looking the same way on the ground from one panorama to the next.
    const angle = this.photos[position][3];
    const yaw = heading != null && angle != null ? ((heading - angle + 540) % 360) - 180 : 0;
    this.closePano();
    const flat = this.frame.querySelector(".photo-image");
    const holder = document.createElement("div");
    holder.id = "pano";
    if (flat) flat.replaceWith(holder);
    else this.frame.prepend(holder);
    this.pano = createPanorama(pannellum, holder, image, { label: this.describe(position), yaw });
    const pano = this.pano;
    const follow = () => {
      if (this.pano === pano) this.notify();
    };
    for (const event of ["mouseup", "touchend", "animatefinished", "zoomchange"]) pano.on(event, follow);
    this.panoTimer = window.setInterval(follow, 250);
  }

  closePano() {
    if (!this.pano) return;
    window.clearInterval(this.panoTimer);
    const holder = this.frame.querySelector(".pano");
    this.pano.destroy();
    this.pano = null;
    if (holder) holder.remove();
  }

  // -- the page around the photo -----------------------------------------------------------

  updateAddress(key) {
    const params = new URLSearchParams(window.location.search);
    params.set("photo", key);
    window.history.replaceState(null, "", `${window.location.pathname}?${params}${window.location.hash}`);
  }

  updateControls() {
    const set = (link, position) => {
      if (position >= 0 && position < this.photos.length) {
        // A photo of a route not loaded yet: the link follows once it is (ensureAround).
        if (this.photos[position]) link.href = `?photo=${encodeURIComponent(this.photos[position][0])}`;
        link.removeAttribute("aria-disabled");
      } else {
        link.removeAttribute("href");
        link.setAttribute("aria-disabled", "true");
      }
    };
    set(this.previousButton, this.position - 1);
    set(this.nextButton, this.position + 1);
    const cover = this.root.querySelector("#photo-cover");
    if (cover) {
      const url = new URL(cover.href, window.location.href);
      url.searchParams.set("cover", this.photos[this.position][0]);
      cover.href = url.pathname + url.search;
    }
  }

  updateStrip() {
    const side = this.config.stripSide;
    const total = this.photos.length;
    const low = Math.max(0, Math.min(this.position - side, total - 2 * side - 1));
    const high = Math.min(total, low + 2 * side + 1);
    const items = [];
    for (let position = low; position < high; position++) {
      if (!this.photos[position]) continue; // its route is on its way
      const key = this.photos[position][0];
      const item = document.createElement("li");
      const anchor = document.createElement("a");
      anchor.href = `?photo=${encodeURIComponent(key)}`;
      anchor.dataset.key = key;
      if (position === this.position) anchor.setAttribute("aria-current", "true");
      const image = document.createElement("img");
      image.src = this.photoUrl(key, "256");
      image.alt = `Photo ${position + 1}`;
      image.loading = "lazy";
      image.decoding = "async";
      image.width = 96;
      image.height = 72;
      image.addEventListener("error", () => image.classList.add("failed"), { once: true });
      anchor.append(image);
      item.append(anchor);
      items.push(item);
    }
    const focused = this.strip.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    this.strip.replaceChildren(...items);
    if (focused) {
      const again = this.strip.querySelector(`a[data-key="${CSS.escape(focused)}"]`);
      (again || this.strip.querySelector("a[aria-current]"))?.focus();
    }
  }

  step(delta) {
    const target = this.position + delta;
    if (target < 0 || target >= this.photos.length) return false;
    this.show(target);
    return true;
  }

  go(key) {
    if (this.index.has(key)) this.show(this.index.get(key));
  }

  togglePlay() {
    if (this.playing) {
      window.clearTimeout(this.playing);
      this.playing = null;
      this.playButton.textContent = "Play";
      this.playButton.setAttribute("aria-pressed", "false");
      return;
    }
    this.playButton.textContent = "Pause";
    this.playButton.setAttribute("aria-pressed", "true");
    const tick = () => {
      if (!this.step(1)) {
        this.togglePlay();
        return;
      }
      this.playing = window.setTimeout(tick, PLAY_INTERVAL_MS);
    };
    this.playing = window.setTimeout(tick, reducedMotion() ? PLAY_INTERVAL_MS : PLAY_INTERVAL_MS / 2);
  }

  bind() {
    this.playButton.hidden = false;
    this.playButton.addEventListener("click", () => this.togglePlay());
    const intercept = (link, delta) => {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        this.step(delta);
      });
    };
    intercept(this.previousButton, -1);
    intercept(this.nextButton, 1);
    this.strip.addEventListener("click", (event) => {
      const anchor = event.target.closest("a[data-key]");
      if (!anchor) return;
      event.preventDefault();
      this.go(anchor.dataset.key);
    });
    document.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const target = event.target;
      // The map and the panorama use the arrow keys themselves; forms keep theirs.
      if (target.closest && target.closest("input, textarea, select, [contenteditable], .map, .pano")) return;
      event.preventDefault();
      this.step(event.key === "ArrowLeft" ? -1 : 1);
    });
    this.bindSwipe();
  }

  // On a touch screen, a swipe across a flat photo steps: leftwards to the next, rightwards to
  // the previous (a panorama turns instead). Mostly sideways, and at least SWIPE_PX long.
  bindSwipe() {
    let start = null;
    this.frame.addEventListener("pointerdown", (event) => {
      start = event.pointerType === "mouse" || this.pano ? null : { x: event.clientX, y: event.clientY };
    });
    this.frame.addEventListener("pointercancel", () => {
      start = null;
    });
    this.frame.addEventListener("pointerup", (event) => {
      if (!start) return;
      const dx = event.clientX - start.x;
      const dy = event.clientY - start.y;
      start = null;
      if (Math.abs(dx) < SWIPE_PX || Math.abs(dx) < 2 * Math.abs(dy)) return;
      this.step(dx < 0 ? 1 : -1);
    });
  }
}

// The photo nearest to a point on the map (plain degrees, with longitude shrunk by latitude),
// of those from ``low`` to ``high`` (excluded) that are known.
export function nearestPhoto(photos, lon, lat, low = 0, high = photos.length) {
  const shrink = Math.cos((lat * Math.PI) / 180);
  let best = -1;
  let bestDistance = Infinity;
  for (let position = low; position < high; position++) {
    if (!photos[position]) continue;
    const dx = (photos[position][1] - lon) * shrink;
    const dy = photos[position][2] - lat;
    const distance = dx * dx + dy * dy;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = position;
    }
  }
  return best;
}

// A tour's photos, a route at a time, from the API's list of a sequence's images (100 a page,
// followed to the end): ``load(position)`` gives {first, photos} of the route holding it, in
// the viewer's form with the route's place added. Each route is asked for once.
export function routeLoader(config) {
  const routes = config.routes;
  const loading = new Map(); // route place -> Promise
  const fetchRoute = async (place) => {
    const route = routes[place];
    const base = config.images.replace("{id}", encodeURIComponent(route.id));
    const photos = [];
    let url = base;
    while (url) {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json();
      for (const image of body.results) {
        const at = image.captured_at ? Math.floor(Date.parse(image.captured_at) / 1000) : null;
        photos.push([image.key, image.lon, image.lat, image.compass_angle, at, image.is_pano ? 1 : 0, place]);
      }
      // The next page from this server, whatever address the link names it by.
      const cursor = body.next ? new URL(body.next).searchParams.get("cursor") : null;
      url = cursor ? `${base}&cursor=${encodeURIComponent(cursor)}` : null;
    }
    return { first: route.first, photos: photos.slice(0, route.count) };
  };
  return (position) => {
    let place = 0;
    while (place + 1 < routes.length && routes[place + 1].first <= position) place++;
    if (!loading.has(place)) {
      const request = fetchRoute(place);
      // A failed route is asked for again next time.
      request.catch(() => loading.delete(place));
      loading.set(place, request);
    }
    return loading.get(place);
  };
}

export { loadPannellum, reducedMotion };
