/* firesales: a table still wider than its column after firesales.css (many columns whose
 * header words add up to more than the column, e.g. the counts by status) is given the
 * compact style `fs-squeeze` (smaller text, tighter cells). Words never break mid-letter:
 * a table that still does not fit scrolls inside its own box. Tables that fit are left
 * alone. Checked by the browser test (no block scrolls sideways at a 1280-px window). */
(function () {
  function tooWide(table) {
    var box = table.parentElement;
    return box && Math.ceil(table.getBoundingClientRect().width) > box.clientWidth;
  }
  function squeeze() {
    document.querySelectorAll(".bd-article table").forEach(function (table) {
      if (tooWide(table)) table.classList.add("fs-squeeze");
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", squeeze);
  } else {
    squeeze();
  }
  window.addEventListener("load", squeeze);
  window.addEventListener("resize", squeeze);
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(squeeze);
  }
})();
