// The phone menu is a <details> disclosure and works without this script. With it, the
// menu also closes as menus do: on Escape (focus back on its button) and on a click or
// focus outside it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var menu = document.querySelector(".nav-menu");
    if (!menu) { return; }
    var button = menu.querySelector("summary");
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        button.focus();
      }
    });
    function closeOutside(event) {
      if (menu.open && !menu.contains(event.target)) { menu.open = false; }
    }
    document.addEventListener("click", closeOutside);
    document.addEventListener("focusin", closeOutside);
  });
})();
