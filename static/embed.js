/* Embedding the booking pages on your own website (README "Embedding the booking wizard").
   Put the iframe from the dashboard's "Embed on your website" page and this script on your
   page; each booking step then tells its height (static/js/embed-frame.js) and the frame
   follows it. Only messages from the frame's own window and the booking site's origin are
   read, and only a height is taken from them. */
(function () {
  "use strict";

  var MESSAGE = "bookingapp:height";
  var MIN_HEIGHT = 200;
  var MAX_HEIGHT = 20000;

  function frames() {
    return document.querySelectorAll("iframe[data-booking-embed]");
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== MESSAGE || typeof data.height !== "number" || !isFinite(data.height)) { return; }
    var all = frames();
    for (var i = 0; i < all.length; i++) {
      var frame = all[i];
      if (frame.contentWindow !== event.source) { continue; }
      if (new URL(frame.src, window.location.href).origin !== event.origin) { return; }
      var height = Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, Math.ceil(data.height)));
      frame.style.height = height + "px";
      return;
    }
  });
})();
