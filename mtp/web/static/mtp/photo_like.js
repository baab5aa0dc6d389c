// The like button of the photo the viewer shows: it follows the viewer from photo to photo, and
// likes (or no longer likes) the photo without leaving the page. The page renders the button for
// the first photo as a form, which works without this script (it comes back to that photo).
// The viewer's config carries each liked photo's count by key, the keys the person reading
// likes, and the address of a like (KEY in place of the photo's key).

function plural(count) {
  return `${count} like${count === 1 ? "" : "s"}`;
}

function follow(root, viewer) {
  const box = document.getElementById("photo-like");
  const config = viewer.config;
  if (!box || !config.likes) return;
  const counter = box.querySelector("#photo-like-count");
  const status = box.querySelector("#photo-like-status");
  const form = box.querySelector("#photo-like-form");
  const login = box.querySelector("#photo-like-login");
  const button = form ? form.querySelector("button") : null;
  const counts = new Map(Object.entries(config.likes));
  const liked = new Set(config.liked);
  let key = null;

  const render = () => {
    counter.textContent = plural(counts.get(key) || 0);
    box.dataset.key = key;
    if (form) {
      const on = liked.has(key);
      form.action = config.likeUrl.replace("KEY", encodeURIComponent(key));
      form.elements.like.value = on ? "0" : "1";
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.firstChild.textContent = on ? "Liked" : "Like";
    }
    if (login) {
      // Back to this very photo after signing in.
      const url = new URL(login.href, window.location.href);
      url.searchParams.set("next", `${window.location.pathname}?photo=${encodeURIComponent(key)}`);
      login.href = url.pathname + url.search;
    }
  };

  viewer.onChange((position) => {
    const photo = viewer.photos[position];
    if (!photo || photo[0] === key) return;
    key = photo[0];
    status.textContent = "";
    render();
  });

  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = key;
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json();
      counts.set(body.key, body.like_count);
      if (body.liked) liked.add(body.key);
      else liked.delete(body.key);
      if (target === key) status.textContent = body.liked ? "You like this photo." : "Like taken back.";
    } catch (error) {
      console.error("The like could not be saved:", error.message);
      if (target === key) status.textContent = "The like could not be saved. Try again.";
    } finally {
      button.disabled = false;
      render();
    }
  });
}

const root = document.getElementById("viewer");
if (root) {
  if (root.mtpViewer) follow(root, root.mtpViewer);
  else root.addEventListener("mtp:viewer", (event) => follow(root, event.detail), { once: true });
}
