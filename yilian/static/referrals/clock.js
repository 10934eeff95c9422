// Green-channel clocks: the server renders elapsed minutes; this ticks them between htmx refreshes.
(function () {
  function tick() {
    document.querySelectorAll("[data-clock-since]").forEach(function (el) {
      var since = Date.parse(el.dataset.clockSince);
      if (isNaN(since)) { return; }
      var minutes = Math.max(0, Math.floor((Date.now() - since) / 60000));
      el.textContent = String(minutes);
      var target = parseInt(el.dataset.clockTarget || "60", 10);
      var box = el.closest(".clock");
      if (box) { box.classList.toggle("bad", minutes >= target); }
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 15000);
})();
