// Behaviour kept out of the HTML so that the CSP can forbid inline scripts.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.classList && el.classList.contains("autosubmit") && el.form) {
    if (el.form.hasAttribute("hx-get") && window.htmx) {
      return; // htmx forms update in place on their own trigger
    }
    el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  }
});

document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Check-ins and other location-aware forms fill hidden lat/lon inputs when the browser allows it.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-geolocate]");
  if (form && navigator.geolocation) {
    navigator.geolocation.getCurrentPosition((pos) => {
      form.querySelector("[name=latitude]").value = pos.coords.latitude.toFixed(6);
      form.querySelector("[name=longitude]").value = pos.coords.longitude.toFixed(6);
    }, () => {}, { timeout: 5000 });
  }
});
