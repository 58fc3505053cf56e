/* The booking pages' side of embedding (README "Embedding the booking wizard"): when a page
   runs inside the business's own website (an iframe allowed by its frame-ancestors), it tells
   the parent page its height, so the frame grows and shrinks with each step and no second
   scroll bar appears. static/embed.js on the business's page listens and resizes the frame.
   Outside a frame this file does nothing.

   A payment provider's hosted page (Stripe Checkout) refuses to be framed, so a step that
   sends the customer to another site leaves the frame for the whole window instead. */
(function () {
  "use strict";

  if (window.parent === window) { return; }

  var MESSAGE = "bookingapp:height";
  var lastHeight = 0;

  function contentHeight() {
    return Math.ceil(document.documentElement.getBoundingClientRect().height);
  }

  function tellParent() {
    var height = contentHeight();
    if (height === lastHeight) { return; }
    lastHeight = height;
    // Only a height is sent, nothing about the customer or the booking: any parent may read it.
    window.parent.postMessage({ type: MESSAGE, height: height }, "*");
  }

  if (window.ResizeObserver) {
    new ResizeObserver(tellParent).observe(document.documentElement);
  }
  window.addEventListener("load", tellParent);
  document.addEventListener("htmx:afterSettle", tellParent);
  tellParent();

  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail.xhr;
    var target = xhr && xhr.getResponseHeader("HX-Redirect");
    if (!target) { return; }
    var url = new URL(target, window.location.href);
    if (url.origin !== window.location.origin) {
      event.preventDefault();
      window.top.location.href = url.href;
    }
  });
})();
