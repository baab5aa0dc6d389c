// Guidebooks: the reader (scene by scene, points of interest as markers that open, a map of
// the scenes, keys to move on) and, on a scene's edit page, placing a new point by clicking
// on the photo. The pages render the first scene, its points as a list and the links to the
// scenes around it, so all of it works without this script.
//
// The reader's data is the guidebook's JSON (as GET /api/v1/guidebooks/<id> gives it) in a
// <script type="application/json"> block. Panoramas open in the panorama component of every
// page (panorama.js), with the points as its hot spots.

import { createMap, readJson } from "./challenges.js";
import { openPanorama, panoramaHotSpots } from "./panorama.js";

const SCENE_COLOR = "#084a69";
const CURRENT_COLOR = "#c2185b";

// Markers are placed by the script (the pages carry no style attributes).
function placeMarkers(container) {
  for (const marker of container.querySelectorAll(".poi-marker[data-x]")) {
    marker.style.left = `${Number(marker.dataset.x) * 100}%`;
    marker.style.top = `${Number(marker.dataset.y) * 100}%`;
  }
}

function typingIn(target) {
  return target.closest("input, textarea, select, [contenteditable]") !== null;
}

class Reader {
  constructor(root, data, config) {
    this.root = root;
    this.data = data;
    this.config = config;
    this.scenes = data.scenes;
    this.frame = root.querySelector("#scene-frame");
    this.image = root.querySelector("#scene-image");
    this.markers = root.querySelector("#poi-markers");
    this.panel = root.querySelector("#poi-panel");
    this.previousLink = root.querySelector("#scene-previous");
    this.nextLink = root.querySelector("#scene-next");
    this.pano = null;
    this.map = null;
    this.openedFrom = null;
    const asked = Number(new URLSearchParams(window.location.search).get("scene") || "1");
    this.index = Math.min(Math.max(1, Number.isFinite(asked) ? asked : 1), this.scenes.length) - 1;
    this.bind();
    this.render();
  }

  bind() {
    this.previousLink.addEventListener("click", (event) => {
      event.preventDefault();
      this.go(this.index - 1);
    });
    this.nextLink.addEventListener("click", (event) => {
      event.preventDefault();
      this.go(this.index + 1);
    });
    this.root.querySelector("#scene-list").addEventListener("click", (event) => {
      const link = event.target.closest("a[data-index]");
      if (!link) return;
      event.preventDefault();
      this.go(Number(link.dataset.index));
    });
    this.markers.addEventListener("click", (event) => {
      const marker = event.target.closest(".poi-marker");
      if (!marker) return;
      event.preventDefault();
      this.openPoi(marker.dataset.poi, marker);
    });
    this.root.querySelector("#poi-panel-close").addEventListener("click", () => this.closePoi());
    document.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey || typingIn(event.target)) return;
      // Inside a panorama the arrow keys look around.
      if (event.target.closest && event.target.closest(".pnlm-container")) return;
      const moves = {
        ArrowRight: this.index + 1,
        ArrowLeft: this.index - 1,
        PageDown: this.index + 1,
        PageUp: this.index - 1,
        Home: 0,
        End: this.scenes.length - 1,
      };
      if (event.key === "Escape" && !this.panel.hidden) {
        event.preventDefault();
        this.closePoi();
      } else if (event.key in moves) {
        event.preventDefault();
        this.go(moves[event.key]);
      }
    });
  }

  get scene() {
    return this.scenes[this.index];
  }

  go(index) {
    if (index < 0 || index >= this.scenes.length || index === this.index) return;
    this.index = index;
    this.render();
    const url = new URL(window.location.href);
    url.searchParams.set("scene", String(index + 1));
    url.hash = "";
    window.history.replaceState(null, "", url);
  }

  render() {
    const scene = this.scene;
    const number = this.index + 1;
    const total = this.scenes.length;
    this.closePoi({ restoreFocus: false });
    this.root.querySelector("#scene-count").textContent = `Scene ${number} of ${total}`;
    this.root.querySelector("#scene-title").textContent = scene.title || "Untitled scene";
    const sequence = this.root.querySelector("#scene-sequence");
    sequence.textContent = scene.sequence.name;
    sequence.href = scene.sequence.url;
    this.root.querySelector("#scene-kind").textContent = scene.image.is_pano ? " · a 360° panorama" : "";
    const description = this.root.querySelector("#scene-description");
    description.replaceChildren();
    if (scene.description) {
      const paragraph = document.createElement("p");
      paragraph.textContent = scene.description;
      description.append(paragraph);
    }
    this.image.alt = `${scene.title || "The scene"}: a photo from ${scene.sequence.name}`;
    if (this.image.getAttribute("src") !== scene.image.thumb_1024_url) {
      this.image.src = scene.image.thumb_1024_url;
    }
    this.renderMarkers();
    this.renderList();
    this.renderPano();
    this.link(this.previousLink, number > 1 ? number - 1 : null);
    this.link(this.nextLink, number < total ? number + 1 : null);
    for (const link of this.root.querySelectorAll("#scene-list a[data-index]")) {
      if (Number(link.dataset.index) === this.index) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    }
    this.showOnMap();
    this.root.dispatchEvent(new CustomEvent("sceneshown", { detail: { index: this.index } }));
  }

  link(element, number) {
    if (number === null) {
      element.removeAttribute("href");
      element.setAttribute("aria-disabled", "true");
    } else {
      element.href = `?scene=${number}`;
      element.removeAttribute("aria-disabled");
    }
  }

  renderMarkers() {
    const markers = this.scene.pois.map((poi, position) => {
      const marker = document.createElement("a");
      marker.className = "poi-marker";
      marker.href = `#poi-${poi.unique_id}`;
      marker.dataset.poi = poi.unique_id;
      marker.dataset.x = String(poi.x);
      marker.dataset.y = String(poi.y);
      marker.textContent = String(position + 1);
      marker.setAttribute("aria-label", `Point of interest ${position + 1}: ${poi.title}`);
      return marker;
    });
    this.markers.replaceChildren(...markers);
    placeMarkers(this.markers);
  }

  renderList() {
    const list = this.root.querySelector("#poi-list");
    const items = this.scene.pois.map((poi) => {
      const item = document.createElement("li");
      item.id = `poi-${poi.unique_id}`;
      const title = document.createElement("strong");
      title.textContent = poi.title;
      item.append(title);
      if (poi.category) {
        const category = document.createElement("span");
        category.className = "meta";
        category.textContent = ` · ${poi.category.name}`;
        item.append(category);
      }
      if (poi.description) item.append(document.createElement("br"), poi.description);
      if (poi.url) {
        const link = document.createElement("a");
        link.href = poi.url;
        link.rel = "noopener nofollow";
        link.textContent = "More about it";
        item.append(document.createElement("br"), link);
      }
      return item;
    });
    if (items.length === 0) {
      const none = document.createElement("li");
      none.className = "meta";
      none.textContent = "None on this scene.";
      items.push(none);
    }
    list.replaceChildren(...items);
  }

  async renderPano() {
    if (this.pano) {
      this.pano.destroy();
      this.pano = null;
    }
    this.frame.querySelector(".pano")?.remove();
    const scene = this.scene;
    this.frame.classList.toggle("is-pano", Boolean(scene.image.is_pano));
    if (!scene.image.is_pano || !this.config.pannellum) return;
    const holder = document.createElement("div");
    this.frame.append(holder);
    const pano = await openPanorama(
      holder,
      this.config,
      scene.image.thumb_2048_url,
      {
        label: `${scene.title || "The scene"}: a 360° panorama from ${scene.sequence.name}`,
        hotSpots: panoramaHotSpots(scene.pois, (poi) => this.openPoi(poi.unique_id, null)),
      },
      // Only while the scene is still the one shown.
      () => this.scene === scene && holder.isConnected,
    );
    if (!pano) {
      holder.remove(); // the flat photo and its markers stay
      return;
    }
    this.pano = pano;
  }

  openPoi(id, marker) {
    const poi = this.scene.pois.find((item) => item.unique_id === id);
    if (!poi) return;
    this.openedFrom = marker;
    this.panel.querySelector("#poi-panel-title").textContent = poi.title;
    this.panel.querySelector("#poi-panel-category").textContent = poi.category ? poi.category.name : "";
    this.panel.querySelector("#poi-panel-description").textContent = poi.description;
    const link = this.panel.querySelector("#poi-panel-link");
    link.hidden = !poi.url;
    if (poi.url) link.href = poi.url;
    for (const item of this.markers.querySelectorAll(".poi-marker")) {
      item.classList.toggle("is-open", item.dataset.poi === id);
    }
    this.panel.hidden = false;
    this.panel.querySelector("#poi-panel-title").focus();
  }

  closePoi({ restoreFocus = true } = {}) {
    if (this.panel.hidden) return;
    this.panel.hidden = true;
    for (const item of this.markers.querySelectorAll(".poi-marker.is-open")) item.classList.remove("is-open");
    if (restoreFocus && this.openedFrom) this.openedFrom.focus();
    this.openedFrom = null;
  }

  // -- the map of the scenes -----------------------------------------------------------------

  async startMap(container) {
    const points = this.scenes.map((scene, index) => ({
      type: "Feature",
      properties: { index, title: scene.title || `Scene ${index + 1}` },
      geometry: { type: "Point", coordinates: [scene.image.lon, scene.image.lat] },
    }));
    const path = {
      type: "Feature",
      properties: {},
      geometry: { type: "LineString", coordinates: points.map((point) => point.geometry.coordinates) },
    };
    const [west, south, east, north] = this.data.bbox;
    this.map = await createMap(
      container,
      this.config,
      {
        sources: {
          scenes: { type: "geojson", data: { type: "FeatureCollection", features: points } },
          path: { type: "geojson", data: path },
        },
        layers: [
          { id: "scene-path", type: "line", source: "path", paint: { "line-color": SCENE_COLOR, "line-width": 2, "line-dasharray": [2, 2] } },
          { id: "scenes", type: "circle", source: "scenes", paint: { "circle-radius": 6, "circle-color": SCENE_COLOR, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } },
          { id: "scene-current", type: "circle", source: "scenes", filter: ["==", ["get", "index"], this.index], paint: { "circle-radius": 9, "circle-color": CURRENT_COLOR, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } },
        ],
      },
      { bounds: [[west, south], [east, north]], fitBoundsOptions: { padding: 40, maxZoom: 17 } },
    );
    this.map.on("click", "scenes", (event) => {
      const feature = event.features && event.features[0];
      if (feature) this.go(feature.properties.index);
    });
    this.map.on("mouseenter", "scenes", () => (this.map.getCanvas().style.cursor = "pointer"));
    this.map.on("mouseleave", "scenes", () => (this.map.getCanvas().style.cursor = ""));
  }

  showOnMap() {
    if (!this.map || !this.map.getLayer("scene-current")) return;
    this.map.setFilter("scene-current", ["==", ["get", "index"], this.index]);
    const { lon, lat } = this.scene.image;
    if (!this.map.getBounds().contains([lon, lat])) this.map.easeTo({ center: [lon, lat] });
  }
}

// The editor: a click on the photo says where the new point goes.
function startEditor(frame) {
  placeMarkers(frame);
  const x = document.getElementById("id_poi_x");
  const y = document.getElementById("id_poi_y");
  const marker = document.getElementById("new-marker");
  const image = frame.querySelector("#scene-image");
  const show = () => {
    if (x.value === "" || y.value === "") return;
    marker.dataset.x = x.value;
    marker.dataset.y = y.value;
    marker.hidden = false;
    placeMarkers(frame);
  };
  image.addEventListener("click", (event) => {
    const box = image.getBoundingClientRect();
    const round = (value) => Math.min(1, Math.max(0, value)).toFixed(4);
    x.value = round((event.clientX - box.left) / box.width);
    y.value = round((event.clientY - box.top) / box.height);
    show();
    document.getElementById("id_poi_title").focus();
  });
  x.addEventListener("input", show);
  y.addEventListener("input", show);
  show();
}

// The editor's preview of a panorama scene: the panorama as the reader shows it, with the
// points saved so far as its hot spots. Opened on demand (the photo is large).
function startPreview(section) {
  const data = readJson("scene-preview-data");
  const config = readJson("map-config");
  const button = section.querySelector("#scene-preview-open");
  const holderFrame = section.querySelector("#scene-preview-frame");
  if (!data || !config) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    holderFrame.hidden = false;
    const holder = document.createElement("div");
    holderFrame.append(holder);
    const pano = await openPanorama(holder, config, data.url, {
      label: "The scene as readers see it: a 360° panorama",
      hotSpots: panoramaHotSpots(data.pois, null),
    });
    if (pano) {
      button.hidden = true;
      holder.focus();
    } else {
      holder.remove();
      holderFrame.hidden = true;
      button.disabled = false;
    }
  });
}

const frame = document.getElementById("scene-frame");
if (frame && frame.dataset.editor) {
  startEditor(frame);
  const preview = document.getElementById("scene-preview");
  if (preview) startPreview(preview);
} else {
  const root = document.getElementById("guidebook");
  const data = readJson("guidebook-data");
  if (root && data && data.scenes.length) {
    const reader = new Reader(root, data, readJson("map-config"));
    root.reader = reader; // for anyone scripting the page (tests)
    const container = document.getElementById("guidebook-map");
    if (container && data.bbox) reader.startMap(container).catch((error) => console.error(error));
  }
}
