// The main menu on phones: without JavaScript the links simply wrap under the brand; with
// it, a "Menu" button shows and hides them (the page's CSS collapses them only once this
// script has marked the bar, so nothing is ever out of reach).
(function () {
  "use strict";
  const bar = document.querySelector(".topbar");
  const button = bar && bar.querySelector(".menu-toggle");
  const menu = bar && document.getElementById(button ? button.getAttribute("aria-controls") : "");
  if (!button || !menu) return;
  bar.classList.add("collapsible");
  button.hidden = false;
  button.addEventListener("click", function () {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  });
})();
