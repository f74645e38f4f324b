// Progressive enhancements; every page works without this file.
// After HTMX swaps a region, move keyboard/screen-reader focus to it so the change is announced.
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail.target;
  if (target && target.hasAttribute("data-focus-after-swap")) {
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  }
});
