// A tour's page: the photo viewer walks across the routes one after another; this keeps the
// line above the photo ("Route 2 of 3: Lake shore") in step with the photo shown. Photos come
// as the viewer's [key, lon, lat, angle, time, pano] with the route's place in the tour added,
// a route at a time as the viewer reaches it.

function follow(root, viewer) {
  const line = document.getElementById("tour-route");
  const config = JSON.parse(document.getElementById("viewer-config").textContent);
  const routes = config.routes || [];
  if (!line || !routes.length) return;
  let shown = -1;
  viewer.onChange((position) => {
    const place = viewer.photos[position][6];
    if (place === shown) return;
    shown = place;
    const route = routes[place];
    const link = document.createElement("a");
    link.href = route.url;
    link.textContent = route.name;
    line.replaceChildren(`Route ${place + 1} of ${routes.length}: `, link);
  });
}

const root = document.getElementById("viewer");
if (root) {
  if (root.mtpViewer) follow(root, root.mtpViewer);
  else root.addEventListener("mtp:viewer", (event) => follow(root, event.detail), { once: true });
}
