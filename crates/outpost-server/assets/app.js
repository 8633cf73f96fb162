// Outpost UI: keyboard row navigation, htmx error display, PCAP job creation through the
// JSON API, and live "new hits" notices over server-sent events. No framework.
(function () {
  "use strict";

  // j/k move between table rows, Enter follows the row's first link, / focuses the filters.
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") {
      var f = document.querySelector(".filters input, .filters select");
      if (f) { e.preventDefault(); f.focus(); }
      return;
    }
    if (e.key !== "j" && e.key !== "k") return;
    var links = Array.prototype.slice.call(document.querySelectorAll("table[data-rows] a.rowlink"));
    if (!links.length) return;
    var i = links.indexOf(document.activeElement);
    i = e.key === "j" ? Math.min(i + 1, links.length - 1) : Math.max(i - 1, 0);
    e.preventDefault();
    document.querySelectorAll("tr.kbd-focus").forEach(function (r) { r.classList.remove("kbd-focus"); });
    links[i].focus();
    var row = links[i].closest("tr");
    if (row) row.classList.add("kbd-focus");
  });

  function show(target, kind, text) {
    var el = document.getElementById(target);
    if (!el) return;
    el.textContent = "";
    var p = document.createElement("p");
    p.className = "notice notice-" + kind;
    p.setAttribute("role", "alert");
    p.textContent = text;
    el.appendChild(p);
  }

  function errorText(body, status) {
    try {
      var j = JSON.parse(body);
      if (j && j.error && j.error.message) return j.error.message;
    } catch (_) { /* HTML page */ }
    var m = /data-testid="error-message">([^<]*)</.exec(body || "");
    return m ? m[1] : "Request failed (" + status + ")";
  }

  // htmx does not swap error responses: show their message in the action area.
  document.addEventListener("htmx:responseError", function (e) {
    var x = e.detail.xhr;
    show("action-result", "error", errorText(x.responseText, x.status));
  });

  // "Start PCAP job": POST /api/v1/jobs with the session cookie (X-Requested-With satisfies
  // the API's CSRF rule).
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button[data-pcap]");
    if (!b) return;
    b.disabled = true;
    fetch("/api/v1/jobs", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Requested-With": "fetch" },
      body: b.getAttribute("data-pcap"),
    }).then(function (r) {
      return r.text().then(function (t) {
        if (r.ok) {
          var id = "";
          try { id = JSON.parse(t).id; } catch (_) { /* ignore */ }
          show("action-result", "ok", "PCAP job " + id + " created; see the Jobs page.");
        } else {
          show("action-result", "error", errorText(t, r.status));
          b.disabled = false;
        }
      });
    }, function () {
      show("action-result", "error", "Network error");
      b.disabled = false;
    });
  });

  // Live updates over server-sent events: a notice when new hits arrive (dashboard and hit
  // list); job pages re-render their content in place when a job changes.
  var anchor = document.querySelector("[data-live-since]");
  var jobsAnchor = document.querySelector("[data-live-jobs]");
  if ((anchor || jobsAnchor) && window.EventSource) {
    var qs = [];
    if (anchor) qs.push("since=" + encodeURIComponent(anchor.getAttribute("data-live-since")));
    if (jobsAnchor) qs.push("jobs=" + encodeURIComponent(jobsAnchor.getAttribute("data-live-jobs")));
    var es = new EventSource("/ui/events?" + qs.join("&"));
    es.addEventListener("hits", function (ev) {
      var d;
      try { d = JSON.parse(ev.data); } catch (_) { return; }
      var live = document.getElementById("live");
      if (!live) return;
      live.hidden = false;
      live.textContent = "";
      live.appendChild(document.createTextNode("New hits have arrived. "));
      var a = document.createElement("a");
      a.href = window.location.href;
      a.textContent = "Reload";
      live.appendChild(a);
    });
    es.addEventListener("jobs", function () {
      if (!jobsAnchor) return;
      fetch(window.location.href, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("main");
        var main = document.getElementById("main");
        if (fresh && main) {
          main.innerHTML = fresh.innerHTML;
          main.setAttribute("data-updated", String(Date.now()));
        }
      });
    });
  }
})();
