// Maps every page shares: MapLibre loaded on demand, the base map under the page's own layers,
// and the controls. Pages import this module with the URL their map configuration gives
// (``maps`` in <script type="application/json" id="map-config">).

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
  map.on("error", (event) => {
    // A base map that does not answer (offline, blocked) leaves the routes on a plain
    // background; say so once, and carry on.
    if (event.sourceId === "basemap") {
      if (!basemapFailed) {
        basemapFailed = true;
        console.warn("The base map did not load:", event.error && event.error.message);
      }
      return;
    }
    console.error("Map error:", event.sourceId || "", event.error ? event.error.message : event);
  });
  // For anyone scripting the page (the browser tests do).
  container.mtpMap = map;
  return { map, maplibregl };
}
