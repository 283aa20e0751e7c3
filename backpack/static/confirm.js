// A form marked data-confirm="question" asks the question before it is sent, for actions
// that cannot be undone (deleting a badge or a collection). Without this script the form
// is sent at once, as before.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
