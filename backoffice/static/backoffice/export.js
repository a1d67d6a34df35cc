/* Exportera till Excel: keeps the progress of the user's background exports up to date.
   Polls each unfinished export's JSON status; when one is ready its download link appears.
   Without this script the page's "Uppdatera" link shows the same. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) { return; }
  var INTERVAL = 2000;

  function text(row, selector, value) {
    var node = row.querySelector(selector);
    if (node && node.textContent !== value) { node.textContent = value; }
  }

  function finish(row, status) {
    var cell = row.querySelector(".bo-export-file");
    if (!cell) { return; }
    cell.textContent = "";
    if (status.download_url) {
      var link = document.createElement("a");
      link.href = status.download_url;
      link.className = "bo-export-download";
      var icon = document.createElement("span");
      icon.className = "fa fa-download";
      icon.setAttribute("aria-hidden", "true");
      link.appendChild(icon);
      link.appendChild(document.createTextNode(" " + script.getAttribute("data-download")));
      cell.appendChild(link);
      var when = document.createElement("span");
      when.className = "help-block";
      when.textContent = script.getAttribute("data-removed").replace("{when}", status.expires_at || "");
      cell.appendChild(when);
    } else {
      cell.textContent = "–";
    }
  }

  function update(row, status) {
    var bar = row.querySelector("progress");
    if (bar) {
      bar.max = Math.max(status.total, 1);
      bar.value = status.done;
      bar.textContent = status.progress_text;
    }
    text(row, ".bo-export-progress-text", status.progress_text);
    text(row, ".bo-export-state-text", status.state_text);
    if (status.error) {
      var stateCell = row.querySelector(".bo-export-state");
      var error = row.querySelector(".bo-export-error");
      if (!error && stateCell) {
        error = document.createElement("span");
        error.className = "bo-export-error";
        stateCell.appendChild(error);
      }
      if (error) { error.textContent = ": " + status.error; }
    }
    row.setAttribute("data-state", status.state);
    var finished = status.state !== "queued" && status.state !== "running";
    if (finished) { finish(row, status); }
    return finished;
  }

  function poll(row) {
    var url = row.getAttribute("data-status-url");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (status) {
        if (!update(row, status)) { window.setTimeout(function () { poll(row); }, INTERVAL); }
      })
      .catch(function () {
        // A passing network error: try again a little later; the Uppdatera link still works.
        window.setTimeout(function () { poll(row); }, INTERVAL * 5);
      });
  }

  Array.prototype.forEach.call(document.querySelectorAll("tr[data-status-url]"), function (row) {
    window.setTimeout(function () { poll(row); }, 500);
  });
})();
