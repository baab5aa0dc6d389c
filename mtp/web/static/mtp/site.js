// The website's script: the explore map and its result list, a sequence's map, and the
// progress of imports on "My sequences". Pages work without it; it only adds to them.
// Configuration comes from <script type="application/json" id="map-config"> blocks, so no
// page needs inline script or style (a strict Content Security Policy holds).

const ROUTE_COLOR = "#c2185b";
const HIGHLIGHT_COLOR = "#f2a900";
const PHOTO_COLOR = "#0b5f86";
// How long a sequence's map waits for its first photo to be painted before loading anyway.
const MAP_WAIT_MS = 1500;

function readJson(id, root = document) {
  const element = root.querySelector(`#${id}`);
  return element ? JSON.parse(element.textContent) : null;
}

function setStatus(element, text) {
  if (element) element.textContent = text;
}

// -- maps ---------------------------------------------------------------------------------

function link(href, text) {
  const anchor = document.createElement("a");
  anchor.href = href;
  anchor.textContent = text;
  return anchor;
}

// -- explore --------------------------------------------------------------------------------

function sequenceUrl(id) {
  return `/sequences/${encodeURIComponent(id)}/`;
}

function dayStartSeconds(value, plusDays = 0) {
  const [year, month, day] = value.split("-").map(Number);
  return Date.UTC(year, month - 1, day + plusDays) / 1000;
}

// The map's filter expression: what the tiles can test themselves (transport type, capture
// date), plus the ids of the matches when the filters need the server (text, tags).
function routeFilter(form, config, matches) {
  const all = ["all"];
  const type = form.elements.type.value;
  if (type) {
    const names = config.transportTypes[type] || [type];
    all.push(["in", ["get", "transport_type"], ["literal", names]]);
  }
  const start = form.elements.start.value;
  const end = form.elements.end.value;
  if (start || end) {
    all.push(["has", "captured_at"]);
    if (start) all.push([">=", ["get", "captured_at"], dayStartSeconds(start)]);
    if (end) all.push(["<", ["get", "captured_at"], dayStartSeconds(end, 1)]);
  }
  if (matches) all.push(["in", ["get", "id"], ["literal", matches]]);
  return all;
}

function boundsParam(map) {
  const bounds = map.getBounds();
  const round = (value) => Math.round(value * 10000) / 10000;
  return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
    .map(round)
    .join(",");
}

function filterQuery(form, page) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (value !== "") params.set(name, value);
  }
  if (page && page !== "1") params.set("page", page);
  return params;
}

function exploreLayers(filter) {
  const line = { "line-join": "round", "line-cap": "round" };
  const width = (low, high) => ["interpolate", ["linear"], ["zoom"], 4, low, 14, high];
  const routes = { type: "line", source: "mtp", "source-layer": "sequences", layout: line };
  return [
    // Far out a route is a few pixels long: a dot on each of its (simplified) points shows it.
    {
      id: "routes-dots",
      type: "circle",
      source: "mtp",
      "source-layer": "sequences",
      maxzoom: 11,
      filter,
      paint: {
        "circle-radius": 4,
        "circle-color": ROUTE_COLOR,
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 1.5,
      },
    },
    { ...routes, id: "routes-casing", filter, paint: { "line-color": "#ffffff", "line-width": width(3, 7) } },
    { ...routes, id: "routes", filter, paint: { "line-color": ROUTE_COLOR, "line-width": width(1.5, 4) } },
    {
      ...routes,
      id: "routes-highlight",
      filter: ["==", ["get", "id"], ""],
      paint: { "line-color": HIGHLIGHT_COLOR, "line-width": width(4, 8) },
    },
    {
      id: "photos",
      type: "circle",
      source: "mtp",
      "source-layer": "images",
      minzoom: 14,
      paint: {
        "circle-radius": 3,
        "circle-color": PHOTO_COLOR,
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 1,
      },
    },
  ];
}

function photoThumbnail(photoUrl, key) {
  const image = document.createElement("img");
  image.src = `${photoUrl}${encodeURIComponent(key)}/thumbnail?size=256`;
  image.alt = "The photo taken here";
  image.width = 192;
  image.height = 144;
  return image;
}

// Hovering a photo point (zoom 14 and closer) shows the photo; clicking (or tapping) one opens
// a popup with the photo and a link to it in its sequence's viewer, which takes the keyboard.
function explorePhotos(map, maplibregl, photoUrl) {
  const preview = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: "photo-preview", offset: 8 });
  let shown = null;
  let opened = null;
  map.on("mousemove", "photos", (event) => {
    map.getCanvas().style.cursor = "pointer";
    const feature = event.features && event.features[0];
    if (!photoUrl || opened || !feature || feature.properties.id === shown) return;
    shown = feature.properties.id;
    const content = document.createElement("div");
    const image = photoThumbnail(photoUrl, shown);
    content.append(image);
    image.addEventListener("error", () => content.replaceChildren("No preview of this photo."), { once: true });
    preview.setLngLat(feature.geometry.coordinates).setDOMContent(content).addTo(map);
  });
  map.on("mouseleave", "photos", () => {
    shown = null;
    preview.remove();
    map.getCanvas().style.cursor = "";
  });
  map.on("click", "photos", (event) => {
    const feature = event.features && event.features[0];
    if (!feature) return;
    const { id: key, sequence_id: sequence } = feature.properties;
    shown = null;
    preview.remove();
    if (opened) opened.remove();
    const content = document.createElement("div");
    if (photoUrl) {
      const image = photoThumbnail(photoUrl, key);
      image.addEventListener("error", () => image.remove(), { once: true });
      content.append(image);
    }
    content.append(link(`${sequenceUrl(sequence)}?photo=${encodeURIComponent(key)}`, "Open this photo"));
    const popup = new maplibregl.Popup({ className: "photo-popup", maxWidth: "16rem", offset: 8 })
      .setLngLat(feature.geometry.coordinates)
      .setDOMContent(content)
      .addTo(map);
    opened = popup;
    popup.on("close", () => {
      if (opened === popup) opened = null;
    });
  });
}

async function initExplore(container) {
  const config = readJson("map-config");
  const form = document.getElementById("filters");
  const results = document.getElementById("results");
  const resultsStatus = document.getElementById("results-status");
  let matches = readJson("map-matches", results);
  let request = 0;

  const options = { hash: "map", center: [0, 20], zoom: 1 };
  if (config.extent) {
    options.bounds = config.extent;
    options.fitBoundsOptions = { padding: 40, maxZoom: 15 };
  }
  // The vector tiles stop at zoom 16; the map zooms further into the same tiles.
  const sources = { mtp: { type: "vector", tiles: [config.tiles], minzoom: 0, maxzoom: 16 } };
  const { pageStyle, createMap } = await import(config.maps);
  const style = pageStyle(config, sources, exploreLayers(routeFilter(form, config, matches)));
  const { map, maplibregl } = await createMap(container, config, style, options);

  const applyFilter = () => {
    if (!map.getLayer("routes")) return;
    const filter = routeFilter(form, config, matches);
    for (const id of ["routes-dots", "routes-casing", "routes"]) map.setFilter(id, filter);
  };

  const highlight = (id) => {
    if (map.getLayer("routes-highlight")) {
      map.setFilter("routes-highlight", ["==", ["get", "id"], id || ""]);
    }
    for (const item of results.querySelectorAll(".result")) {
      item.classList.toggle("highlight", item.dataset.id === id);
    }
  };

  const bindList = () => {
    // A photo Mapillary no longer has, and this server kept no copy of: no broken image.
    for (const cover of results.querySelectorAll("img.cover")) {
      const drop = () => {
        cover.closest(".result").classList.remove("with-cover");
        cover.remove();
      };
      if (cover.complete && cover.naturalWidth === 0) drop();
      else cover.addEventListener("error", drop, { once: true });
    }
    for (const item of results.querySelectorAll(".result")) {
      const id = item.dataset.id;
      item.addEventListener("mouseenter", () => highlight(id));
      item.addEventListener("mouseleave", () => highlight(null));
      item.addEventListener("focusin", () => highlight(id));
      item.addEventListener("focusout", () => highlight(null));
    }
  };

  const refresh = async (page) => {
    form.elements.bbox.value = boundsParam(map);
    const params = filterQuery(form, page);
    const mine = ++request;
    results.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(`${config.resultsUrl}?${params}`, {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const html = await response.text();
      if (mine !== request) return; // a newer request is on its way
      // Server-rendered (and escaped) by the results view.
      results.innerHTML = html;
      matches = readJson("map-matches", results);
      applyFilter();
      bindList();
      const body = results.querySelector(".results-body");
      const count = body ? body.dataset.count : "";
      setStatus(resultsStatus, count ? `${count} sequences in this area.` : "");
      const query = params.toString();
      const url = `${window.location.pathname}${query ? `?${query}` : ""}${window.location.hash}`;
      window.history.replaceState(null, "", url);
      results.dataset.loaded = String(mine);
    } catch (error) {
      if (mine === request) setStatus(resultsStatus, "The list could not be updated.");
      console.error(error);
    } finally {
      if (mine === request) results.removeAttribute("aria-busy");
    }
  };

  let timer = null;
  const refreshSoon = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => refresh(), 300);
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    refresh();
  });
  results.addEventListener("click", (event) => {
    const pager = event.target.closest("a[data-page]");
    if (!pager) return;
    event.preventDefault();
    refresh(pager.dataset.page).then(() => {
      const title = document.getElementById("results-title");
      if (title) {
        title.setAttribute("tabindex", "-1");
        title.focus();
      }
    });
  });
  bindList();
  // The list follows the map from where the URL or the data put it.
  refresh(new URLSearchParams(window.location.search).get("page") || undefined);
  map.on("moveend", refreshSoon);

  explorePhotos(map, maplibregl, config.photoUrl);

  const clickable = ["routes", "routes-dots"];
  map.on("mouseenter", clickable, () => {
    map.getCanvas().style.cursor = "pointer";
  });
  map.on("mouseleave", clickable, () => {
    map.getCanvas().style.cursor = "";
  });
  map.on("click", clickable, (event) => {
    const feature = event.features && event.features[0];
    if (!feature) return;
    // A photo point on the route opens the photo instead (explorePhotos).
    if (map.getLayer("photos") && map.queryRenderedFeatures(event.point, { layers: ["photos"] }).length) return;
    const { id, name, transport_type: transportType } = feature.properties;
    const content = document.createElement("div");
    content.append(link(sequenceUrl(id), name || "Sequence"));
    if (transportType) {
      const meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = transportType;
      content.append(meta);
    }
    new maplibregl.Popup({ maxWidth: "18rem" })
      .setLngLat(event.lngLat)
      .setDOMContent(content)
      .addTo(map);
    highlight(id);
  });
}

// -- a sequence's page ------------------------------------------------------------------------

// The photos known (a tour's come a route at a time: the others are null) as map points.
function photoFeatures(photos) {
  const features = [];
  photos.forEach((photo, index) => {
    if (!photo) return;
    const [key, lon, lat, , at] = photo;
    features.push({
      type: "Feature",
      properties: { key, n: index + 1, at: at || 0 },
      geometry: { type: "Point", coordinates: [lon, lat] },
    });
  });
  return { type: "FeatureCollection", features };
}

function sequenceSources(data) {
  const sources = { photos: { type: "geojson", data: photoFeatures(data.photos) } };
  // A tour's routes come from its GeoJSON (data.routesUrl), a sequence's one is on the page.
  const lines = data.route.length > 1 ? [data.route] : [];
  if (data.routesUrl) {
    sources.route = { type: "geojson", data: data.routesUrl };
  } else if (lines.length) {
    sources.route = {
      type: "geojson",
      data: {
        type: "Feature",
        properties: {},
        geometry: { type: "MultiLineString", coordinates: lines },
      },
    };
  }
  return sources;
}

function sequenceLayers(data) {
  const layers = [];
  if (data.routesUrl || data.route.length > 1) {
    const layout = { "line-join": "round", "line-cap": "round" };
    layers.push(
      { id: "route-casing", type: "line", source: "route", layout, paint: { "line-color": "#ffffff", "line-width": 8 } },
      { id: "route", type: "line", source: "route", layout, paint: { "line-color": ROUTE_COLOR, "line-width": 4 } },
    );
  }
  layers.push({
    id: "photos",
    type: "circle",
    source: "photos",
    paint: {
      "circle-radius": ["interpolate", ["linear"], ["zoom"], 12, 2.5, 18, 6],
      "circle-color": PHOTO_COLOR,
      "circle-stroke-color": "#ffffff",
      "circle-stroke-width": 1.5,
    },
  });
  return layers;
}

// The current photo's camera on the map: a dot with a cone pointing where it looks.
function cameraElement() {
  const element = document.createElement("div");
  element.className = "camera-marker";
  element.setAttribute("aria-hidden", "true");
  element.innerHTML =
    '<svg viewBox="0 0 48 48" width="48" height="48" focusable="false">' +
    '<path class="camera-cone" d="M24 24 L12 2 A24 24 0 0 1 36 2 Z"/>' +
    '<circle cx="24" cy="24" r="7" class="camera-dot"/></svg>';
  return element;
}

async function loadViewer(root, data) {
  const config = readJson("viewer-config");
  const { Viewer, nearestPhoto, reducedMotion, routeLoader } = await import(config.viewer);
  // A tour's page carries no photos: the viewer loads each route's as it reaches it.
  const viewer = config.images
    ? new Viewer(root, config, new Array(data.total).fill(null), routeLoader(config))
    : new Viewer(root, config, data.photos);
  root.mtpViewer = viewer; // for anyone scripting the page (the browser tests do)
  root.dispatchEvent(new CustomEvent("mtp:viewer", { detail: viewer }));
  return { viewer, nearestPhoto, reducedMotion };
}

function followViewer(map, maplibregl, viewing) {
  const { viewer, nearestPhoto, reducedMotion } = viewing;
  const photos = viewer.photos;
  const cone = cameraElement();
  const marker = new maplibregl.Marker({ element: cone, rotationAlignment: "map", pitchAlignment: "map" });
  // A tour's photos join the map as the viewer loads their routes.
  const mapPhotos = () => {
    const source = map.getSource("photos");
    if (source) source.setData(photoFeatures(photos));
  };
  viewer.onPhotos(mapPhotos);
  if (map.isStyleLoaded()) mapPhotos();
  else map.once("styledata", mapPhotos);
  let placed = false;
  viewer.onChange((position, heading) => {
    const [, lon, lat] = photos[position];
    marker.setLngLat([lon, lat]);
    if (!placed) {
      marker.addTo(map);
      placed = true;
    }
    cone.classList.toggle("no-heading", heading == null);
    if (heading != null) marker.setRotation(heading);
    const bounds = map.getBounds();
    if (!bounds.contains([lon, lat])) {
      if (reducedMotion()) map.jumpTo({ center: [lon, lat] });
      else map.easeTo({ center: [lon, lat], duration: 300 });
    }
  });
  const clickable = map.getLayer("route") ? ["photos", "route"] : ["photos"];
  map.on("click", clickable, (event) => {
    const photo = event.features && event.features.find((feature) => feature.layer.id === "photos");
    if (photo) {
      viewer.go(photo.properties.key);
      return;
    }
    // On a tour, the nearest photo of the route clicked, once its photos are loaded.
    const routes = viewer.config.routes;
    const id = event.features && event.features[0] && event.features[0].properties.unique_id;
    const route = routes && id ? routes.find((item) => item.id === id) : null;
    const low = route ? route.first : 0;
    const high = route ? route.first + route.count : photos.length;
    const shown = () => {
      const nearest = nearestPhoto(photos, event.lngLat.lng, event.lngLat.lat, low, high);
      if (nearest >= 0) viewer.show(nearest);
    };
    if (route && route.count) viewer.ensure(route.first).then(shown, () => {});
    else shown();
  });
  return clickable;
}

function photoPopup(map, maplibregl, data) {
  map.on("click", "photos", (event) => {
    const feature = event.features && event.features[0];
    if (!feature) return;
    const { key, n, at } = feature.properties;
    const content = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = `Photo ${n} of ${data.total}`;
    content.append(title);
    if (at) {
      const time = document.createElement("div");
      time.className = "meta";
      time.textContent = new Date(at * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC");
      content.append(time);
    }
    const mapillary = `https://www.mapillary.com/app/?pKey=${encodeURIComponent(key)}&focus=photo`;
    content.append(link(mapillary, "Open on Mapillary"));
    new maplibregl.Popup({ maxWidth: "18rem" })
      .setLngLat(feature.geometry.coordinates)
      .setDOMContent(content)
      .addTo(map);
  });
  return ["photos"];
}

async function initSequence(container) {
  const config = readJson("map-config");
  const data = config.sequence;
  // The photos first: they do not wait for the map library, and work without a map.
  const root = document.getElementById("viewer");
  const viewing = root && data.total ? await loadViewer(root, data) : null;
  if (viewing) {
    // The map library is large to compile: the photo is painted first, then the map comes.
    const painted = viewing.viewer.firstShown.then(
      () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))),
    );
    await Promise.race([painted, new Promise((resolve) => setTimeout(resolve, MAP_WAIT_MS))]);
  }
  const options = {};
  if (data.bbox) {
    const [west, south, east, north] = data.bbox;
    const pad = 0.0005; // a single photo still gets a street-level view
    options.bounds = [west - pad, south - pad, east + pad, north + pad];
    options.fitBoundsOptions = { padding: 40, maxZoom: 18 };
  }
  const { pageStyle, createMap } = await import(config.maps);
  const style = pageStyle(config, sequenceSources(data), sequenceLayers(data));
  const { map, maplibregl } = await createMap(container, config, style, options);
  const clickable = viewing
    ? followViewer(map, maplibregl, viewing)
    : photoPopup(map, maplibregl, data);
  map.on("mouseenter", clickable, () => {
    map.getCanvas().style.cursor = "pointer";
  });
  map.on("mouseleave", clickable, () => {
    map.getCanvas().style.cursor = "";
  });
}

// -- my sequences: import progress ------------------------------------------------------------

function initProgress(root) {
  const url = root.dataset.progressUrl;
  const status = document.getElementById("progress-status");
  const watched = () => [...root.querySelectorAll('[data-status="importing"]')];
  // Upload sets being made into sequences by a worker.
  const watchedUploads = () => [...root.querySelectorAll('[data-upload-status="completed"]')];
  if (!watched().length && !watchedUploads().length) return;

  const poll = async () => {
    const rows = watched();
    const uploads = watchedUploads();
    if (!rows.length && !uploads.length) return;
    const params = new URLSearchParams();
    for (const row of rows) params.append("id", row.dataset.id);
    try {
      const response = await fetch(`${url}?${params}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { sequences, upload_sets: uploadSets } = await response.json();
      const byId = new Map(sequences.map((item) => [item.id, item]));
      const uploadsById = new Map(uploadSets.map((item) => [item.id, item]));
      for (const row of uploads) {
        const item = uploadsById.get(row.dataset.uploadId);
        if (!item || item.status !== "completed") {
          setStatus(status, "An upload was processed. Updating the page.");
          window.location.reload();
          return;
        }
        const bar = row.querySelector("progress");
        if (bar) {
          bar.max = Math.max(item.total, 1);
          bar.value = item.processed;
        }
        setStatus(row.querySelector("[data-progress-text]"), `${item.processed} of ${item.total} photos processed`);
      }
      for (const row of rows) {
        const item = byId.get(row.dataset.id);
        if (!item || item.status !== "importing") {
          // Finished, failed or deleted: the page shows it in its new place.
          setStatus(status, "An import finished. Updating the page.");
          window.location.reload();
          return;
        }
        const job = item.import;
        const bar = row.querySelector("progress");
        const text = row.querySelector("[data-progress-text]");
        if (job && bar && job.total) {
          bar.max = job.total;
          bar.value = job.done;
          bar.textContent = String(job.done);
          setStatus(text, `${job.done} of ${job.total} photos`);
        } else if (job && text) {
          setStatus(text, job.status === "running" ? "Starting…" : "Waiting for a worker…");
        }
      }
    } catch (error) {
      console.error(error);
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 1000);
}

// -- copy buttons -----------------------------------------------------------------------------

// A button with data-copy="#id" copies that element's text (a client ID, a secret). Without a
// clipboard (or this script) it stays hidden: the text is there to select.
function initCopyButtons() {
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.querySelector(button.dataset.copy);
    if (!source) continue;
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = "Copied";
      } catch (error) {
        console.warn("Not copied:", error.message);
        button.textContent = "Select the text to copy it";
      }
      window.setTimeout(() => {
        button.textContent = label;
      }, 3000);
    });
  }
}

// -- start ------------------------------------------------------------------------------------

initCopyButtons();

for (const container of document.querySelectorAll("[data-map]")) {
  const init = container.dataset.map === "explore" ? initExplore : initSequence;
  init(container).catch((error) => console.error(error));
}
const my = document.getElementById("my-sequences");
if (my) initProgress(my);
