// The Upload photos page (web/upload.html): Uppy's Dashboard takes a folder or files, and
// this script sends them through the page's calls (mtp/web/uploads.py) as the Panoramax
// command-line client does through the upload API: make an upload set (or carry on with the
// unfinished one), leave out the photos the set holds already, send the others, complete the
// set, then follow it until its sequences are made. Configuration comes from the
// <script type="application/json" id="upload-config"> block: no inline script.

const POLL_MS = 2000;

const config = JSON.parse(document.getElementById("upload-config").textContent);
const form = document.getElementById("upload-form");
const startButton = document.getElementById("upload-start");
const finishButton = document.getElementById("upload-finish");
const progressBox = document.getElementById("upload-progress");
const bar = document.getElementById("upload-bar");
const summary = document.getElementById("upload-summary");
const fileRows = document.getElementById("upload-files");
const sequencesBox = document.getElementById("upload-sequences");

const csrfToken = form.querySelector("[name=csrfmiddlewaretoken]").value;

// The set being filled: its addresses ({self, files, complete}), once made or found.
let links = null;
if (config.unfinished) {
  const base = config.unfinished;
  links = { self: base, files: `${base}files/`, complete: `${base}complete/` };
}

// Each file the person gave: its row in the table and what became of it.
// state: waiting, skipped, sending, sent, refused, failed.
const files = new Map();
let startedAt = 0;

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function duration(seconds) {
  if (seconds < 60) return "less than a minute";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return plural(minutes, "minute");
  const hours = Math.floor(minutes / 60);
  return `${plural(hours, "hour")} ${plural(minutes % 60, "minute")}`;
}

async function call(url, options = {}) {
  const response = await fetch(url, {
    credentials: "same-origin",
    ...options,
    headers: { "X-CSRFToken": csrfToken, Accept: "application/json", ...(options.headers || {}) },
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body && body.error ? body.error : `The server answered ${response.status}.`;
    throw new Error(message);
  }
  if (body === null) {
    // A sign-in page instead of JSON: the session ended.
    throw new Error("the server did not answer as expected: are you still signed in? Reload the page.");
  }
  return body;
}

function row(id) {
  let entry = files.get(id);
  if (!entry) return null;
  if (!entry.row) {
    const tr = document.createElement("tr");
    tr.dataset.file = entry.name;
    const name = document.createElement("td");
    name.textContent = entry.name;
    const state = document.createElement("td");
    state.className = "file-state";
    tr.append(name, state);
    fileRows.append(tr);
    entry.row = tr;
  }
  return entry;
}

function setFileState(id, state, text) {
  const entry = row(id);
  if (!entry) return;
  entry.state = state;
  entry.row.dataset.state = state;
  entry.row.querySelector(".file-state").textContent = text;
}

function counts() {
  const tally = { waiting: 0, skipped: 0, sending: 0, sent: 0, refused: 0, failed: 0 };
  for (const entry of files.values()) tally[entry.state] += 1;
  return tally;
}

function showSummary(extra = "") {
  const tally = counts();
  const total = files.size;
  const done = tally.sent + tally.skipped + tally.refused + tally.failed;
  bar.max = Math.max(total, 1);
  bar.value = done;
  const parts = [`${tally.sent} of ${plural(total, "photo")} sent`];
  if (tally.skipped) parts.push(`${tally.skipped} already here`);
  if (tally.refused) parts.push(`${tally.refused} refused`);
  if (tally.failed) parts.push(`${tally.failed} not sent`);
  summary.textContent = parts.join(" · ") + (extra ? ` · ${extra}` : "");
}

// Time left, from the bytes sent so far since the upload started.
function timeLeft() {
  let sent = 0;
  let total = 0;
  for (const entry of files.values()) {
    if (entry.state === "skipped" || entry.state === "refused") continue;
    total += entry.size;
    sent += entry.state === "sending" ? entry.bytes || 0 : entry.state === "waiting" ? 0 : entry.size;
  }
  const elapsed = (Date.now() - startedAt) / 1000;
  if (!sent || elapsed < 1 || sent >= total) return "";
  const seconds = ((total - sent) * elapsed) / sent;
  return `about ${duration(seconds)} left`;
}

async function ensureSet() {
  if (links) return links;
  const body = await call(config.create, { method: "POST", body: new FormData(form) });
  links = body.links;
  return links;
}

// The files the set holds already, by name and size (what a dropped file is known by).
async function heldFiles() {
  const state = await call(links.self);
  return new Set(state.files.map((item) => `${item.file_name}\u0000${item.size}`));
}

function serverText(item) {
  if (item.status === "prepared") return "In a sequence";
  if (item.status === "received") return "Processing";
  if (item.rejected) return `Left out: ${item.rejected.message || item.rejected.reason}`;
  return item.status;
}

function showSequences(sequences) {
  if (!sequences.length) return;
  const list = sequencesBox.querySelector("ul");
  list.replaceChildren();
  for (const sequence of sequences) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = sequence.url;
    link.textContent = sequence.name;
    item.append(link);
    list.append(item);
  }
  sequencesBox.hidden = false;
}

async function follow() {
  const state = await call(links.self);
  const byName = new Map(state.files.map((item) => [`${item.file_name}\u0000${item.size}`, item]));
  for (const [id, entry] of files) {
    const item = byName.get(`${entry.name}\u0000${entry.size}`);
    if (item && (entry.state === "sent" || entry.state === "skipped")) {
      setFileState(id, entry.state, serverText(item));
    }
  }
  const set = state.upload_set;
  const status = set.items_status;
  const processed = status.prepared + status.broken + status.duplicates;
  if (set.ready) {
    showSummary(`done: ${plural(status.prepared, "photo")} in ${plural(state.sequences.length, "sequence")}`);
    showSequences(state.sequences);
    links = null;
    if (finishButton) finishButton.hidden = true;
    const notice = document.getElementById("upload-unfinished");
    if (notice) notice.hidden = true;
    // The next upload is a new set: its title, way of travel and tags can be given.
    for (const element of form.elements) element.disabled = false;
    return;
  }
  showSummary(`processing: ${processed} of ${set.nb_items} photos`);
  // A large set's list is long: asked for less often.
  window.setTimeout(() => follow().catch(showError), Math.min(30_000, POLL_MS + files.size * 3));
}

function showError(error) {
  console.error(error);
  summary.textContent = `Stopped: ${error.message}`;
  startButton.disabled = false;
}

async function complete() {
  await call(links.complete, { method: "POST" });
  showSummary("sent; processing");
  await follow();
}

async function main() {
  const { Uppy, Dashboard, XHRUpload } = await import(config.uppy);
  const uppy = new Uppy({
    autoProceed: false,
    restrictions: {
      maxFileSize: config.maxPhotoBytes,
      allowedFileTypes: ["image/jpeg", ".jpg", ".jpeg"],
    },
  });
  uppy.use(Dashboard, {
    inline: true,
    target: "#upload-dashboard",
    width: "100%",
    height: 360,
    hideUploadButton: true,
    hideRetryButton: true,
    hidePauseResumeButton: true,
    // The page shows the progress and each photo's state itself (a refusal is not a failure).
    disableStatusBar: true,
    showRemoveButtonAfterComplete: false,
    fileManagerSelectionType: "both",
    proudlyDisplayPoweredByUppy: false,
    // No previews: they would be blob: images, which the site's policy does not load.
    disableThumbnailGenerator: true,
    note: "JPEG photos with their position and time",
  });
  uppy.use(XHRUpload, {
    endpoint: "/",
    fieldName: "file",
    allowedMetaFields: [],
    limit: 3,
    timeout: 120_000,
    headers: { "X-CSRFToken": csrfToken },
    // Only a lost connection or a server fault is worth sending again; a refusal is final.
    shouldRetry: (xhr) => xhr.status === 0 || xhr.status >= 500,
    onAfterResponse: (xhr) => {
      if (xhr.status >= 400 && xhr.status < 500) {
        let message = `The server answered ${xhr.status}.`;
        try {
          message = JSON.parse(xhr.responseText).error || message;
        } catch {
          // not JSON: keep the status
        }
        const error = new Error(message);
        error.status = xhr.status;
        throw error;
      }
    },
  });

  uppy.on("file-added", (file) => {
    files.set(file.id, { name: file.name, size: file.size, state: "waiting", bytes: 0 });
    setFileState(file.id, "waiting", "Waiting");
    startButton.disabled = false;
  });
  uppy.on("file-removed", (file) => {
    const entry = files.get(file.id);
    if (entry && entry.state === "waiting") {
      entry.row.remove();
      files.delete(file.id);
    }
  });
  uppy.on("upload-progress", (file, progress) => {
    const entry = files.get(file.id);
    if (!entry || !progress.bytesTotal) return;
    entry.bytes = progress.bytesUploaded;
    const percent = Math.round((100 * progress.bytesUploaded) / progress.bytesTotal);
    setFileState(file.id, "sending", `Sending, ${percent}%`);
    showSummary(timeLeft());
  });
  uppy.on("upload-success", (file) => {
    setFileState(file.id, "sent", "Sent");
    showSummary(timeLeft());
  });
  uppy.on("upload-error", (file, error) => {
    const status = error.status || (error.request ? error.request.status : 0);
    if (status === 409 && /holds this file/.test(error.message)) {
      setFileState(file.id, "skipped", "Already here");
    } else if (status >= 400 && status < 500) {
      setFileState(file.id, "refused", `Refused: ${error.message}`);
    } else {
      setFileState(file.id, "failed", "Not sent: the connection was lost. Upload again to retry.");
    }
    showSummary(timeLeft());
  });

  startButton.addEventListener("click", async () => {
    if (!form.reportValidity()) return;
    startButton.disabled = true;
    progressBox.hidden = false;
    try {
      await ensureSet();
      const held = await heldFiles();
      let retry = false;
      for (const file of uppy.getFiles()) {
        const entry = files.get(file.id);
        if (entry && entry.state === "sent") continue; // sent from this page already
        if (held.has(`${file.name}\u0000${file.size}`)) {
          setFileState(file.id, "skipped", "Already here");
        } else if (entry && entry.state === "failed") {
          setFileState(file.id, "waiting", "Waiting");
          retry = true;
        }
      }
      for (const [id, entry] of files) {
        if (entry.state === "skipped" && uppy.getFile(id)) uppy.removeFile(id);
      }
      uppy.getPlugin("XHRUpload").setOptions({ endpoint: links.files });
      startedAt = Date.now();
      showSummary();
      if (retry) {
        await uppy.retryAll();
      } else if (uppy.getFiles().some((file) => !file.progress.uploadComplete)) {
        await uppy.upload();
      }
      if (counts().failed) {
        showSummary("some photos were not sent: Upload again to send them");
        startButton.disabled = false;
        return;
      }
      await complete();
    } catch (error) {
      showError(error);
    }
  });

  if (finishButton) {
    finishButton.addEventListener("click", async () => {
      finishButton.disabled = true;
      progressBox.hidden = false;
      try {
        await complete();
      } catch (error) {
        showError(error);
      }
    });
  }
}

main().catch(showError);
