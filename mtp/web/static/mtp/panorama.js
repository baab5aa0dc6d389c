// The 360° panorama of every page: the sequence viewer, the guidebook reader and the scene
// editor's preview. Pannellum is a classic script of this site (script-src 'self'), loaded
// once when the first panorama opens.
//
// A photo link of this site answers with a redirect to the photo's host (Mapillary's CDN, or
// the stand-in serving as it), which the pages' policy allows for images only. So the photo
// is fetched as an image (with CORS, as it becomes a WebGL texture) and handed to Pannellum
// as it is ("dynamic"), rather than given as an address: Pannellum would fetch that itself
// with XMLHttpRequest and show it through a blob: URL, and the policy allows neither, which
// ends in "The file ... could not be accessed".

let pannellumLoading = null;

export function loadPannellum(config) {
  if (!pannellumLoading) {
    pannellumLoading = new Promise((resolve, reject) => {
      const style = document.createElement("link");
      style.rel = "stylesheet";
      style.href = config.pannellumCss;
      document.head.append(style);
      const script = document.createElement("script");
      script.src = config.pannellum;
      script.onload = () => resolve(window.pannellum);
      script.onerror = () => {
        pannellumLoading = null; // asked for again next time
        reject(new Error("The panorama viewer could not be loaded."));
      };
      document.head.append(script);
    });
  }
  return pannellumLoading;
}

export function reducedMotion() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

// A photo fetched as an image: {image, ready}, ``ready`` settling to whether it loaded.
// ``pano``: it is to become a panorama's texture, so it is fetched with CORS.
export function fetchImage(url, { pano = false } = {}) {
  const image = new Image();
  if (pano) image.crossOrigin = "anonymous";
  image.decoding = "async";
  image.src = url;
  const ready = image.decode().then(
    () => true,
    () => image.complete && image.naturalWidth > 0,
  );
  return { image, ready };
}

// A panorama in ``holder`` of the photo ``image`` (an <img> already loaded, see fetchImage).
// ``label`` names it for screen readers; ``yaw`` is where it looks first (0, the middle of
// the photo); ``hotSpots`` are Pannellum's. The holder takes the keys (arrows to look
// around), says it is ready with ``data-ready`` and carries the viewer as ``mtpPano``.
export function createPanorama(pannellum, holder, image, { label, yaw = 0, hfov = 100, hotSpots = [] } = {}) {
  holder.classList.add("pano");
  holder.tabIndex = 0;
  holder.setAttribute("role", "application");
  holder.setAttribute("aria-roledescription", "360° panorama");
  holder.setAttribute("aria-label", `${label}. Drag, or use the arrow keys, to look around.`);
  const pano = pannellum.viewer(holder, {
    type: "equirectangular",
    panorama: image,
    dynamic: true,
    dynamicUpdate: true,
    autoLoad: true,
    showZoomCtrl: true,
    showFullscreenCtrl: false,
    compass: false,
    yaw,
    hfov,
    hotSpots,
    friction: reducedMotion() ? 1 : 0.15,
    strings: { loadingLabel: "Loading the panorama…" },
  });
  const ready = () => {
    // The photo does not change: stop uploading it to the GPU on every frame.
    pano.setUpdate(false);
    holder.dataset.ready = "true";
  };
  // A photo already fetched loads at once, within the constructor.
  if (pano.isLoaded()) ready();
  else pano.on("load", ready);
  holder.mtpPano = pano; // for anyone scripting the page (the browser tests do)
  return pano;
}

// Fetch the photo at ``url`` and open it as a panorama in ``holder``; null when the photo or
// Pannellum could not be loaded (the page keeps its flat photo), or when ``stillWanted()``
// says the page has moved on meanwhile.
export async function openPanorama(holder, config, url, options = {}, stillWanted = () => true) {
  const { image, ready } = fetchImage(url, { pano: true });
  let pannellum;
  let ok;
  try {
    [pannellum, ok] = await Promise.all([loadPannellum(config), ready]);
  } catch (error) {
    console.error(error.message);
    return null;
  }
  if (!ok) {
    console.error(`The panorama ${url} could not be loaded.`);
    return null;
  }
  if (!stillWanted()) return null;
  return createPanorama(pannellum, holder, image, options);
}

// A guidebook scene's points of interest as Pannellum's hot spots; ``open(poi)`` on a click.
export function panoramaHotSpots(pois, open) {
  return pois
    .filter((poi) => poi.yaw != null && poi.pitch != null)
    .map((poi) => ({
      pitch: poi.pitch,
      yaw: poi.yaw,
      type: "info",
      text: poi.title,
      clickHandlerFunc: open ? () => open(poi) : undefined,
    }));
}
