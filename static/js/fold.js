// Phones: fold the catalog's filter panel so the record covers lead. Loaded (not deferred) right
// after the panel, so it runs before the page is first painted and nothing shifts; without
// JavaScript the panel simply stays open.
(function () {
  if (!window.matchMedia || !window.matchMedia("(max-width: 48rem)").matches) return;
  document.querySelectorAll("details[data-fold-on-phones]").forEach(function (panel) {
    panel.removeAttribute("open");
  });
})();
