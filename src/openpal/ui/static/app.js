// openpal dashboard: keep the parts of a page marked data-live up to date, without a
// reload, until what they show is finished (the fragment says data-terminal="true").
(function () {
  "use strict";
  function follow(el) {
    var url = el.getAttribute("data-live");
    var every = parseInt(el.getAttribute("data-every") || "1000", 10);
    var busy = false;
    var timer = setInterval(function () {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          if (r.redirected || !r.ok) { clearInterval(timer); return null; }
          return r.text();
        })
        .then(function (html) {
          if (html === null) return;
          // a person typing here (a reject reason): keep what they typed, and wait
          var typing = document.activeElement;
          if (typing && el.contains(typing) && /^(INPUT|TEXTAREA|SELECT)$/.test(typing.tagName)) return;
          var typed = {};
          el.querySelectorAll("input[id], textarea[id]").forEach(function (f) {
            if (f.type !== "hidden" && f.value) typed[f.id] = f.value;
          });
          var open = Array.prototype.map.call(el.querySelectorAll("details[open]"), function (d) {
            return d.querySelector(".name") ? d.querySelector(".name").textContent : null;
          });
          el.innerHTML = html;
          el.querySelectorAll("details").forEach(function (d) {
            var name = d.querySelector(".name");
            if (name && open.indexOf(name.textContent) >= 0) d.open = true;
          });
          Object.keys(typed).forEach(function (id) {
            var f = document.getElementById(id);
            if (f && el.contains(f)) f.value = typed[id];
          });
          localize(el);
          if (el.querySelector('[data-terminal="true"]')) clearInterval(timer);
        })
        .catch(function () {})
        .finally(function () { busy = false; });
    }, every);
  }
  // times: the browser's own zone, and how long ago
  function ago(d) {
    var s = Math.round((Date.now() - d.getTime()) / 1000);
    if (s < 0) return "in " + span(-s);
    return s < 5 ? "just now" : span(s) + " ago";
  }
  function span(s) {
    if (s < 60) return s + " s";
    if (s < 3600) return Math.round(s / 60) + " min";
    if (s < 86400) return Math.round(s / 3600) + " h";
    return Math.round(s / 86400) + " d";
  }
  function localize(root) {
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      t.title = t.getAttribute("datetime");
      t.textContent = t.hasAttribute("data-short")
        ? d.toLocaleTimeString()
        : d.toLocaleString() + " (" + ago(d) + ")";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    localize(document);
    document.querySelectorAll("[data-live]").forEach(follow);
  });
})();
