(function () {
  "use strict";
  // Click a figure to see it at full size; click again or press Escape to close.
  var zoom = document.getElementById("zoom");
  var big = document.createElement("img");  // made here: the page's only images are figures
  big.alt = "zoomed figure";
  zoom.appendChild(big);
  function close() { zoom.hidden = true; big.removeAttribute("src"); }
  Array.prototype.forEach.call(document.querySelectorAll("figure img"), function (img) {
    img.addEventListener("click", function () {
      big.src = img.src; big.alt = img.alt; zoom.hidden = false;
    });
  });
  zoom.addEventListener("click", close);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { close(); } });
  // Figure counts for the headless-browser tests.
  window.addEventListener("load", function () {
    var imgs = Array.prototype.slice.call(document.querySelectorAll("figure img"));
    var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
    document.body.setAttribute("data-figures-total", String(imgs.length));
    document.body.setAttribute("data-figures-rendered", String(ok));
  });
}());
