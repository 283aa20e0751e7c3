// Reorder a collection's badges by dragging a handle, or by focusing it and pressing the
// arrow keys. Progressive enhancement: without this script the up and down buttons (plain
// forms) do the same. The new order is saved with the page's own CSRF token.
(function () {
  "use strict";

  var list = document.getElementById("items");
  var form = document.getElementById("order-form");
  if (!list || !form || !window.fetch) {
    return;
  }
  var status = document.getElementById("order-status");
  var hint = document.querySelector(".js-hint");
  var token = form.querySelector("input[name=csrf_token]").value;
  var dragged = null;
  var orderBefore = "";

  function items() {
    return Array.prototype.slice.call(list.querySelectorAll("li.collection-item"));
  }

  function nameOf(item) {
    return item.querySelector(".badge-name").textContent.trim();
  }

  function announce(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function currentOrder() {
    return items().map(function (item) { return item.dataset.badgeId; }).join(",");
  }

  function save(moved) {
    var body = new URLSearchParams({ csrf_token: token, order: currentOrder() });
    return fetch(list.dataset.orderUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token },
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      var position = items().indexOf(moved) + 1;
      announce(nameOf(moved) + " moved to position " + position + " of " + items().length + ".");
    }).catch(function () {
      announce("The new order could not be saved. Reload the page and try again.");
      list.classList.add("order-failed");
    });
  }

  function move(item, offset) {
    var all = items();
    var target = all.indexOf(item) + offset;
    if (target < 0 || target >= all.length) {
      return;
    }
    if (offset < 0) {
      list.insertBefore(item, all[target]);
    } else {
      list.insertBefore(all[target], item);
    }
    item.querySelector(".drag-handle").focus();
    save(item);
  }

  items().forEach(function (item) {
    var handle = item.querySelector(".drag-handle");
    handle.hidden = false;
    item.draggable = true;

    handle.addEventListener("keydown", function (event) {
      if (event.key === "ArrowUp" || event.key === "ArrowDown") {
        event.preventDefault();
        move(item, event.key === "ArrowUp" ? -1 : 1);
      }
    });
    item.addEventListener("dragstart", function (event) {
      dragged = item;
      orderBefore = currentOrder();
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.badgeId);
    });
    item.addEventListener("dragend", function () {
      item.classList.remove("dragging");
      if (dragged && currentOrder() !== orderBefore) {
        save(dragged);
      }
      dragged = null;
    });
    item.addEventListener("dragover", function (event) {
      if (!dragged || dragged === item) {
        return;
      }
      event.preventDefault();
      var box = item.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? item.nextSibling : item);
    });
    item.addEventListener("drop", function (event) {
      event.preventDefault();
    });
  });
  if (hint) {
    hint.hidden = false;
  }
})();
