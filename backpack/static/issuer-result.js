/* Hands the result of OpenBadges.issue back to the issuer's page that opened this window. */
(function () {
  "use strict";
  var node = document.getElementById("issuer-result");
  if (!node || !window.opener || !node.dataset.origin) { return; }
  window.opener.postMessage(JSON.parse(node.dataset.result), node.dataset.origin);
  setTimeout(function () { window.close(); }, 1500);
})();
