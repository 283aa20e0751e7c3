// The sharing tools' Copy link button: shown only when this script runs (the link is
// also on the page to select by hand), it copies the link and says so.
(function () {
  "use strict";
  function copyByHand(text) {
    // Where the Clipboard API is missing (plain http away from localhost).
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    return done;
  }
  document.addEventListener("DOMContentLoaded", function () {
    for (const button of document.querySelectorAll("button[data-copy]")) {
      const status = button.parentElement.querySelector(".copy-status");
      button.hidden = false;
      button.addEventListener("click", async function () {
        let copied = false;
        try {
          await navigator.clipboard.writeText(button.dataset.copy);
          copied = true;
        } catch (error) {
          copied = copyByHand(button.dataset.copy);
        }
        status.textContent = copied ? "Link copied." : "Could not copy: select the link and copy it.";
      });
    }
  });
})();
