// Window/level presets for DICOM previews: swap the PNG the server renders for the chosen preset.
(function () {
  function choose(button) {
    var preset = button.dataset.preset;
    document.querySelectorAll("img.dicom-view").forEach(function (img) {
      img.src = img.dataset.base + "?preset=" + encodeURIComponent(preset);
    });
    document.querySelectorAll("button.preset").forEach(function (b) { b.classList.toggle("active", b === button); });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.preset");
    if (button) { choose(button); }
  });
})();
