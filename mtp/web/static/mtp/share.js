// The viewer's "Full screen", "Link" and "Download". "Full screen" shows the viewer on the whole
// screen, the photo (or the panorama) as large as it allows, with its controls and the arrow
// keys; shown only where the browser
// allows it. "Link" and "Download" follow the photo shown: "Link" is a link to this photo
// (?photo=) that works without this script; with it, a click copies the photo's full address
// instead and says so. "Download" gives the photo at the largest size the server has.

function fullScreen(viewer) {
  const button = document.getElementById("photo-fullscreen");
  // The whole viewer: the photo as large as the screen allows, with its controls.
  const frame = viewer.root;
  if (!button || !frame || !document.fullscreenEnabled) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await frame.requestFullscreen();
    } catch (error) {
      console.warn("Full screen was refused:", error.message);
    }
  });
  document.addEventListener("fullscreenchange", () => {
    const on = document.fullscreenElement === frame;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "Leave full screen" : "Full screen";
    // The panorama viewer sizes itself to its holder.
    window.dispatchEvent(new Event("resize"));
  });
}

function follow(viewer) {
  const link = document.getElementById("photo-share");
  const download = document.getElementById("photo-download");
  const status = document.getElementById("photo-share-status");
  fullScreen(viewer);
  if (!link) return;

  viewer.onChange((position) => {
    const photo = viewer.photos[position];
    if (!photo) return;
    const key = photo[0];
    link.href = `?photo=${encodeURIComponent(key)}`;
    if (download) download.href = viewer.photoUrl(key, "original");
    status.textContent = "";
  });

  link.addEventListener("click", async (event) => {
    if (!navigator.clipboard) return; // the link itself, then
    event.preventDefault();
    const address = new URL(link.getAttribute("href"), window.location.href).href;
    try {
      await navigator.clipboard.writeText(address);
      status.textContent = "Link to this photo copied.";
    } catch (error) {
      console.warn("The link could not be copied:", error.message);
      window.location.assign(address);
    }
  });
}

const root = document.getElementById("viewer");
if (root) {
  if (root.mtpViewer) follow(root.mtpViewer);
  else root.addEventListener("mtp:viewer", (event) => follow(event.detail), { once: true });
}
