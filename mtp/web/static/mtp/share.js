// The viewer's "Link" and "Download": both follow the photo shown. "Link" is a link to this
// photo (?photo=) that works without this script; with it, a click copies the photo's full
// address instead and says so. "Download" gives the photo at the largest size the server has.

function follow(viewer) {
  const link = document.getElementById("photo-share");
  const download = document.getElementById("photo-download");
  const status = document.getElementById("photo-share-status");
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
