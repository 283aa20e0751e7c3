// Follows a background import: polls its state and updates the progress and the report.
(function () {
  "use strict";
  const box = document.getElementById("import-job");
  if (!box) return;
  const status = document.getElementById("import-status");
  const bar = document.getElementById("import-progress");
  const report = document.getElementById("import-report");
  const notice = document.getElementById("import-notice");

  function show(state) {
    bar.max = state.total || 1;
    bar.value = state.done;
    if (state.status === "queued") status.textContent = "Waiting for its turn…";
    if (state.status === "running") {
      status.textContent = "Imported " + state.done + " of " + state.total + "…";
    }
    if (state.status === "failed") status.textContent = "The import failed: " + state.error;
    if (state.status === "done") status.textContent = "Done.";
    notice.textContent = state.notice || "";
    notice.hidden = !state.notice;
    // A job stopped at its time limit failed, but it has a report of what it did import.
    if (state.report) {
      for (const span of report.querySelectorAll("[data-count]")) {
        // A dotted name reaches into the report ("already_imported.badges").
        const count = span.dataset.count.split(".").reduce((part, key) => (part || {})[key], state.report);
        span.textContent = String(count || 0);
      }
      const list = document.getElementById("import-failures");
      list.replaceChildren();
      for (const failure of state.report.first_failures || []) {
        const item = document.createElement("li");
        item.textContent = failure.label + ": " + failure.reason;
        list.append(item);
      }
      const notes = document.getElementById("import-notes");
      notes.replaceChildren();
      for (const note of state.report.notes || []) {
        const item = document.createElement("li");
        item.textContent = note;
        notes.append(item);
      }
      // Badges sent to an address not verified yet wait for it: say which, as the page does.
      const unverified = document.getElementById("import-unverified");
      unverified.replaceChildren();
      for (const address of state.report.unverified_emails || []) {
        const item = document.createElement("p");
        const settings = document.createElement("a");
        settings.href = unverified.dataset.settingsUrl;
        settings.textContent = "settings";
        item.append("Verify " + address + " in your ", settings, " to release its badges.");
        unverified.append(item);
      }
      const file = document.getElementById("import-failures-file");
      if (state.failures_url) file.querySelector("a").href = state.failures_url;
      file.hidden = !state.failures_url;
      report.hidden = false;
    }
    return state.status === "done" || state.status === "failed";
  }

  async function poll() {
    try {
      const response = await fetch(box.dataset.stateUrl, { credentials: "same-origin" });
      if (response.ok && show(await response.json())) return;
    } catch (error) {
      // A dropped connection: try again at the next tick.
    }
    window.setTimeout(poll, 1000);
  }

  if (box.dataset.status !== "done" && box.dataset.status !== "failed") poll();
})();
