// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  var dialog = function () { return document.getElementById("task-dialog"); };
  var listUrl = null;
  var opener = null;  // the task link that opened the dialog, to give focus back to

  // The portal's "example URL" link fills in the field instead of reloading the page.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.example-url");
    if (link) {
      event.preventDefault();
      var input = document.getElementById("id_url");
      if (input) { input.value = link.dataset.url; input.focus(); }
      return;
    }
    var close = event.target.closest("[data-close-dialog]");
    if (close && dialog() && dialog().open) {
      event.preventDefault();
      dialog().close();
    }
  });

  // Task details arrive in the dialog: open it; closing it brings the list's URL back.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.target && event.detail.target.id === "task-dialog-body" && !(dialog() && dialog().open)) {
      listUrl = window.location.href;
      opener = event.detail.elt;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "task-dialog-body" && dialog() && !dialog().open) {
      dialog().showModal();
    }
  });
  document.addEventListener("close", function (event) {
    if (event.target.id === "task-dialog") {
      document.getElementById("task-dialog-body").innerHTML = "";
      if (listUrl) { history.pushState({}, "", listUrl); listUrl = null; }
      // Focus goes back to the task's link; the table may have refreshed meanwhile, so look
      // the link up again by its address.
      if (opener) {
        var href = opener.getAttribute("href");
        var link = Array.prototype.find.call(document.querySelectorAll("#tasks-table a.task-link"), function (a) {
          return a.getAttribute("href") === href;
        }) || (opener.isConnected ? opener : null);
        opener = null;
        if (link) { link.focus(); }
      }
    }
  }, true);
})();
