// "Here at other times": what other sequences saw where the viewer's photo was taken, looking
// the same way, nearest first (one photo of each, its date and its sequence), each a link to
// that photo in its own viewer. It follows the viewer from photo to photo, asking the server
// (/photos/<key>/nearby.json) once the person stops on a photo for a moment.

const WAIT_MS = 400;

function day(text) {
  const when = new Date(text);
  return Number.isNaN(when.getTime())
    ? ""
    : when.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
}

function render(section, list, results) {
  list.replaceChildren(
    ...results.map((found) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = found.url;
      const image = document.createElement("img");
      image.src = found.thumb;
      image.alt = "";
      image.width = 96;
      image.height = 72;
      image.loading = "lazy";
      image.decoding = "async";
      const label = document.createElement("span");
      const date = found.captured_at ? day(found.captured_at) : "Undated";
      label.textContent = `${date} · ${found.sequence} · ${Math.round(found.distance_m)} m`;
      link.append(image, label);
      item.append(link);
      return item;
    }),
  );
  section.hidden = results.length === 0;
}

function follow(viewer) {
  const section = document.getElementById("photo-nearby");
  const config = viewer.config;
  if (!section || !config.nearbyUrl) return;
  const list = section.querySelector("ol");
  let key = null;
  let timer = null;
  let asked = 0;

  viewer.onChange((position) => {
    const photo = viewer.photos[position];
    if (!photo || photo[0] === key) return;
    key = photo[0];
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const target = key;
      const number = ++asked;
      try {
        const response = await fetch(config.nearbyUrl.replace("KEY", encodeURIComponent(target)), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = await response.json();
        // Only the answer for the photo still shown.
        if (number === asked && target === key) render(section, list, body.results);
      } catch (error) {
        console.warn("Photos of other times could not be had:", error.message);
        if (number === asked) section.hidden = true;
      }
    }, WAIT_MS);
  });
}

const root = document.getElementById("viewer");
if (root) {
  if (root.mtpViewer) follow(root.mtpViewer);
  else root.addEventListener("mtp:viewer", (event) => follow(event.detail), { once: true });
}
