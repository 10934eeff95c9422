// DICOM previews: window/level presets swap the PNG the server renders; a slider steps through a series.
(function () {
  var preset = "default";

  function source(base) { return base + "?preset=" + encodeURIComponent(preset); }

  function choose(button) {
    preset = button.dataset.preset;
    document.querySelectorAll("img.dicom-view").forEach(function (img) { img.src = source(img.dataset.base); });
    document.querySelectorAll("button.preset").forEach(function (b) { b.classList.toggle("active", b === button); });
  }

  function step(slider) {
    var items = document.querySelectorAll("#series-list li");
    var index = parseInt(slider.value, 10) - 1;
    var item = items[index];
    var img = document.getElementById("series-image");
    if (!item || !img) { return; }
    img.dataset.base = item.dataset.url;
    img.src = source(item.dataset.url);
    img.alt = item.dataset.name;
    document.getElementById("series-caption").textContent = item.dataset.name;
    document.getElementById("series-label").textContent = (index + 1) + " / " + items.length;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.preset");
    if (button) { choose(button); }
  });
  document.addEventListener("input", function (event) {
    if (event.target.id === "series-index") { step(event.target); }
  });
})();
