/* Mozilla's issuer API: OpenBadges.issue, OpenBadges.issue_no_modal and OpenBadges.connect. */
(function () {
  "use strict";
  var ROOT = {{ root|safe }};

  function list(assertions) {
    return Array.isArray(assertions) ? assertions.slice() : [assertions];
  }

  function issueNoModal(assertions) {
    var form = document.createElement("form");
    form.method = "POST";
    form.action = ROOT + "/issuer/frameless";
    list(assertions).forEach(function (assertion) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "assertions";
      input.value = assertion;
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function issue(assertions, callback) {
    assertions = list(assertions);
    var query = assertions.map(function (a) { return "assertion=" + encodeURIComponent(a); });
    query.push("origin=" + encodeURIComponent(window.location.origin));
    var popup = window.open(ROOT + "/issuer/frame?" + query.join("&"), "openbadges_issue",
      "width=680,height=760");
    if (!popup) {
      issueNoModal(assertions);
      return;
    }
    var answered = false;
    function finish(errors, successes) {
      if (answered) { return; }
      answered = true;
      window.removeEventListener("message", listen);
      clearInterval(watch);
      if (typeof callback === "function") { callback(errors, successes); }
    }
    function listen(event) {
      if (event.origin !== ROOT || event.source !== popup) { return; }
      var data = event.data || {};
      if (data.type === "OpenBadges.issue") { finish(data.errors || [], data.successes || []); }
    }
    // Closing the window without answering declines every badge.
    var watch = setInterval(function () {
      if (popup.closed) {
        finish(assertions.map(function (a) { return { assertion: a, reason: "DENIED" }; }), []);
      }
    }, 500);
    window.addEventListener("message", listen);
  }

  function connect(options) {
    if (!options || typeof options.callback !== "string") {
      throw new Error("OpenBadges.connect needs options.callback, a URL string");
    }
    var scope = [].concat(options.scope || ["issue"]).join(",");
    // Mozilla's own backpack-connect.html passes window.location.pathname: like Mozilla's
    // issuer.js, make the callback absolute against the page, since /access takes only
    // absolute URLs (the origin it names is the one allowed to push).
    var callback = new URL(options.callback, document.baseURI).href;
    window.location.href = ROOT + "/access?callback=" + encodeURIComponent(callback) +
      "&scope=" + encodeURIComponent(scope);
  }

  window.OpenBadges = { issue: issue, issue_no_modal: issueNoModal, connect: connect };
})();
