// Challenge maps: a challenge's area over the published routes, and drawing a new area.
// Pages work without it (the area can be pasted as GeoJSON); configuration comes from
// <script type="application/json"> blocks, so no inline script or style is needed.

const AREA_COLOR = "#f2a900";
const ROUTE_COLOR = "#c2185b";

export function readJson(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

function setStatus(element, text) {
  if (element) element.textContent = text;
}

// The published routes (the tiles) under the page's own layers.
export async function createMap(container, config, layers, options) {
  const { pageStyle, createMap: create } = await import(config.maps);
  const sources = { mtp: { type: "vector", tiles: [config.tiles], minzoom: 0, maxzoom: 16 }, ...(layers.sources || {}) };
  const routes = {
    id: "routes",
    type: "line",
    source: "mtp",
    "source-layer": "sequences",
    layout: { "line-cap": "round", "line-join": "round" },
    paint: { "line-color": ROUTE_COLOR, "line-width": 2.5 },
  };
  const style = pageStyle(config, sources, [routes, ...(layers.layers || [])]);
  const { map } = await create(container, config, style, options);
  return map;
}

async function showChallenge(container) {
  const config = readJson("map-config");
  const feature = readJson("challenge-area");
  if (!config || !feature) return;
  const [west, south, east, north] = feature.bbox;
  await createMap(
    container,
    config,
    {
      sources: { area: { type: "geojson", data: feature } },
      layers: [
        { id: "area-fill", type: "fill", source: "area", paint: { "fill-color": AREA_COLOR, "fill-opacity": 0.15 } },
        { id: "area-line", type: "line", source: "area", paint: { "line-color": AREA_COLOR, "line-width": 3 } },
      ],
    },
    // A box across the 180th meridian has its west above its east (RFC 7946): go on east past 180°.
    { bounds: [[west, south], [east < west ? east + 360 : east, north]], fitBoundsOptions: { padding: 30 } },
  );
}

// The drawing tool was written for Mapbox GL; MapLibre names its control classes differently.
function drawForMapLibre(MapboxDraw) {
  const classes = MapboxDraw.constants.classes;
  classes.CANVAS = "maplibregl-canvas";
  classes.CONTROL_BASE = "maplibregl-ctrl";
  classes.CONTROL_PREFIX = "maplibregl-ctrl-";
  classes.CONTROL_GROUP = "maplibregl-ctrl-group";
  classes.ATTRIBUTION = "maplibregl-ctrl-attrib";
  return new MapboxDraw({
    displayControlsDefault: false,
    controls: { polygon: true, trash: true },
    defaultMode: "draw_polygon",
  });
}

async function drawArea(container) {
  const config = readJson("map-config");
  const field = document.getElementById("id_area");
  const status = document.getElementById("draw-status");
  if (!config || !field || !window.MapboxDraw) return;
  // The first view: the published routes (or the whole world, before there are any).
  const view = config.extent
    ? { bounds: config.extent, fitBoundsOptions: { padding: 40, maxZoom: 15 } }
    : { center: [8.54, 47.37], zoom: 2 };
  const map = await createMap(container, config, {}, view);
  const draw = drawForMapLibre(window.MapboxDraw);
  map.addControl(draw, "top-left");
  // A value sent back with an error in the form: draw it again.
  try {
    const given = field.value.trim() ? JSON.parse(field.value) : null;
    if (given && given.type) {
      map.once("load", () => draw.add(given.type === "Feature" ? given : { type: "Feature", properties: {}, geometry: given }));
    }
  } catch (error) {
    // Not GeoJSON: the server says so when the form is sent.
  }
  const update = () => {
    const polygons = draw
      .getAll()
      .features.filter((feature) => feature.geometry.type === "Polygon")
      .map((feature) => feature.geometry.coordinates);
    if (polygons.length === 0) {
      field.value = "";
      setStatus(status, "No area drawn yet.");
    } else {
      const geometry =
        polygons.length === 1
          ? { type: "Polygon", coordinates: polygons[0] }
          : { type: "MultiPolygon", coordinates: polygons };
      field.value = JSON.stringify(geometry);
      setStatus(status, `Area drawn: ${polygons.length} polygon${polygons.length > 1 ? "s" : ""}.`);
    }
  };
  map.on("draw.create", update);
  map.on("draw.update", update);
  map.on("draw.delete", update);
  setStatus(status, "Click on the map to place the corners of the area; click the first corner or press Enter to finish.");
}

const shown = document.getElementById("challenge-map");
if (shown) showChallenge(shown).catch((error) => console.error(error));
const drawing = document.getElementById("draw-map");
if (drawing) drawArea(drawing).catch((error) => console.error(error));
