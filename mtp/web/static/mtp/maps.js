// Maps every page shares: MapLibre loaded on demand, the base map under the page's own layers,
// and the controls. Pages import this module with the URL their map configuration gives
// (``maps`` in <script type="application/json" id="map-config">).

// Without the base map the background is plain and light: the routes' white casings would
// vanish into it, so they turn dark.
const OFFLINE_CASING = "#1f2933";

function setStatus(element, text) {
  if (element) element.textContent = text;
}

export async function loadMapLibre(config) {
  const maplibregl = await import(config.maplibre);
  maplibregl.setWorkerUrl(new URL(config.maplibreWorker, window.location.href).href);
  return maplibregl;
}

// The whole style up front: the base map (when there is one), then the page's own sources and
// layers. Adding layers on "load" instead would wait for the base map, which may never answer.
export function pageStyle(config, sources, layers) {
  const style = {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#e8ecef" } }],
  };
  if (config.basemap.tiles) {
    style.sources.basemap = {
      type: "raster",
      tiles: [config.basemap.tiles],
      tileSize: 256,
      maxzoom: config.basemap.maxzoom,
      attribution: config.basemap.attribution,
    };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  Object.assign(style.sources, sources);
  style.layers.push(...layers);
  return style;
}

export async function createMap(container, config, style, options) {
  const status = container.parentElement.querySelector(".map-status");
  let maplibregl;
  try {
    maplibregl = await loadMapLibre(config);
  } catch (error) {
    setStatus(status, "The map could not be loaded.");
    throw error;
  }
  let map;
  try {
    map = new maplibregl.Map({
      container,
      style,
      attributionControl: { compact: true },
      cooperativeGestures: false,
      ...options,
    });
  } catch (error) {
    // No WebGL, most often: the rest of the page still works.
    setStatus(status, "This browser cannot show the map.");
    throw error;
  }
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl(), "bottom-left");
  let basemapFailed = false;
  const basemapMissing = (why) => {
    if (basemapFailed) return;
    basemapFailed = true;
    console.warn("The base map did not load:", why);
    showBasemapFailed(map, container);
  };
  map.on("error", (event) => {
    // A base map that does not answer (offline, blocked) leaves the routes on a plain
    // background; say so once, on the map, and carry on.
    if (event.sourceId === "basemap") {
      basemapMissing(event.error && event.error.message);
      return;
    }
    console.error("Map error:", event.sourceId || "", event.error ? event.error.message : event);
  });
  // The map library takes a tile answered "404 Not Found" for an empty one, and says
  // nothing: ask for the tile under the middle of the first view too (the browser's cache
  // answers one of the two) to know whether the base map is there.
  if (config.basemap.tiles) {
    probeBasemap(config.basemap, map).then((problem) => problem && basemapMissing(problem));
  }
  // For anyone scripting the page (the browser tests do).
  container.mtpMap = map;
  return { map, maplibregl };
}

// Say on the map that the base map is missing, and keep the routes easy to see without it.
function showBasemapFailed(map, container) {
  container.classList.add("basemap-failed");
  const notice = document.createElement("p");
  notice.className = "map-notice";
  notice.setAttribute("role", "status");
  notice.textContent = "The base map could not be loaded: the routes are shown without it.";
  container.append(notice);
  for (const layer of map.getStyle().layers) {
    if (layer.type === "line" && map.getPaintProperty(layer.id, "line-color") === "#ffffff") {
      map.setPaintProperty(layer.id, "line-color", OFFLINE_CASING);
    }
  }
}

// The base map's tile under the middle of the map, asked for: "" when it came, else why not.
async function probeBasemap(basemap, map) {
  const zoom = Math.max(0, Math.min(Math.floor(map.getZoom()), basemap.maxzoom || 19));
  const { lng, lat } = map.getCenter().wrap();
  const tiles = 2 ** zoom;
  const x = Math.min(tiles - 1, Math.floor(((lng + 180) / 360) * tiles));
  const radians = (Math.max(-85, Math.min(85, lat)) * Math.PI) / 180;
  const y = Math.min(tiles - 1, Math.floor(((1 - Math.log(Math.tan(radians) + 1 / Math.cos(radians)) / Math.PI) / 2) * tiles));
  const url = basemap.tiles.replace("{z}", zoom).replace("{x}", x).replace("{y}", y).replace("{s}", "a");
  try {
    const response = await fetch(url);
    return response.ok ? "" : `HTTP ${response.status}`;
  } catch (error) {
    return error.message || "no answer";
  }
}
