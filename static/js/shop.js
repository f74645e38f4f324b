// Progressive enhancements; every page works without this file.
// After HTMX swaps a region, move keyboard/screen-reader focus to it so the change is announced.
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail.target;
  if (target && target.hasAttribute("data-focus-after-swap")) {
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  }
});

// Checkout: choosing a saved address fills the address fields (the form works without this).
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!select.matches || !select.matches("select[data-fill-address]")) return;
  var option = select.options[select.selectedIndex];
  var data = option && option.getAttribute("data-address");
  var address = data ? JSON.parse(data) : {};
  ["name", "line1", "line2", "city", "region", "postcode", "country", "phone"].forEach(function (name) {
    var field = select.form ? select.form.elements[name] : document.getElementById(name);
    if (field) field.value = address[name] || "";
  });
  var country = document.getElementById("country");
  if (country) country.dispatchEvent(new Event("change", { bubbles: true }));
});

// Phones: the catalog's filter panel is folded by fold.js, loaded right after it (before the page
// is first painted, so nothing moves).
