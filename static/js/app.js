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
    // A flagged frame's thumbnail seeks the player beside it to that moment.
    var frame = event.target.closest("a.frame-link[data-seek]");
    var player = frame && frame.closest(".moderation") && frame.closest(".moderation").querySelector("video");
    if (player) {
      event.preventDefault();
      player.currentTime = parseFloat(frame.dataset.seek);
      player.pause();
      player.scrollIntoView({ block: "nearest" });
      return;
    }
    var close = event.target.closest("[data-close-dialog]");
    if (close && dialog() && dialog().open) {
      event.preventDefault();
      dialog().close();
    }
  });

  // The Generate form shows the fields of the chosen task type only (without JavaScript it
  // shows them all, and each type keeps its own).
  var showTaskTypeFields = function () {
    var select = document.getElementById("id_task_name");
    if (!select || !select.form) { return; }
    select.form.querySelectorAll("[data-task-type]").forEach(function (field) {
      field.hidden = field.dataset.taskType !== select.value;
    });
  };
  document.addEventListener("change", function (event) {
    if (event.target.id === "id_task_name") { showTaskTypeFields(); }
  });
  document.addEventListener("DOMContentLoaded", showTaskTypeFields);
  document.addEventListener("htmx:afterSwap", showTaskTypeFields);

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
