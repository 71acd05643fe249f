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
          var open = Array.prototype.map.call(el.querySelectorAll("details[open]"), function (d) {
            return d.querySelector(".name") ? d.querySelector(".name").textContent : null;
          });
          el.innerHTML = html;
          el.querySelectorAll("details").forEach(function (d) {
            var name = d.querySelector(".name");
            if (name && open.indexOf(name.textContent) >= 0) d.open = true;
          });
          if (el.querySelector('[data-terminal="true"]')) clearInterval(timer);
        })
        .catch(function () {})
        .finally(function () { busy = false; });
    }, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(follow);
  });
})();
