/* Small behaviours once written as inline event attributes (onchange=, onclick=), which the
   Content-Security-Policy forbids (bookingapp/security_headers.py): markup says what it wants
   with a data attribute and this file, served from our own origin, does it.

   data-submit-on-change  on a field: submitting its form when the value changes (the day
                          view's date, the week view's staff choice); a <noscript> button
                          submits without JavaScript.
   data-print             on a button: printing the page (the receipt). */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field && field.form && field.hasAttribute && field.hasAttribute("data-submit-on-change")) {
      field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();
