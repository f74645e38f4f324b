// Back office "Connect a channel": show only the chosen channel type's settings and credentials.
(function () {
  var select = document.getElementById("channel_type");
  if (!select) return;
  function show() {
    document.querySelectorAll(".channel-fields").forEach(function (fieldset) {
      var on = fieldset.dataset.type === select.value;
      fieldset.hidden = !on;
      fieldset.querySelectorAll("input").forEach(function (input) { input.disabled = !on; });
    });
  }
  select.addEventListener("change", show);
  show();
})();
