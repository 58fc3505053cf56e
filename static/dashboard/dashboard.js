/* Dashboard: make htmx failures visible. htmx drops 4xx/5xx responses by default (the
   layout's htmx-config swaps 2xx/3xx and 422 form partials only), so without this a 403,
   an expired CSRF token or a 500 looks like a button that does nothing. The banner is
   role="alert": screen readers announce it when it fills. */
(function () {
  "use strict";

  var LIMIT = 300;

  function banner() {
    return document.getElementById("dash-error");
  }

  function serverMessage(xhr) {
    var type = (xhr.getResponseHeader("Content-Type") || "").toLowerCase();
    var body = xhr.responseText || "";
    if (type.indexOf("json") !== -1) {
      try {
        var data = JSON.parse(body);
        var error = data.error || data;
        return String(error.message || error.description || "");
      } catch (ignored) { /* fall through to text */ }
    }
    if (type.indexOf("html") !== -1) {
      var doc = new DOMParser().parseFromString(body, "text/html");
      // The most specific text first: a form's alert, then the error page's explanation.
      var selectors = ["[role=alert]", ".error", "p", "h1", "title"];
      for (var i = 0; i < selectors.length; i++) {
        var node = doc.querySelector(selectors[i]);
        if (node && node.textContent.trim()) { return node.textContent; }
      }
      return "";
    }
    return body;
  }

  function explain(xhr) {
    var status = xhr.status;
    var text = (serverMessage(xhr) || "").replace(/\s+/g, " ").trim().slice(0, LIMIT);
    if (status === 400 && /csrf/i.test(text)) {
      return "This page's security token is no longer valid (it may have expired). Reload the page and try again.";
    }
    var lead = status === 403 ? "Not allowed"
      : status === 404 ? "Not found"
      : status === 409 ? "Conflict"
      : status === 429 ? "Too many requests"
      : status >= 500 ? "Something went wrong on the server"
      : "The request was refused";
    return lead + " (" + status + ")" + (text ? ": " + text : ".");
  }

  function show(message) {
    var box = banner();
    if (!box) { return; }
    box.querySelector("[data-message]").textContent = message;
    box.hidden = false;
  }

  function hide() {
    var box = banner();
    if (box) { box.hidden = true; }
  }

  document.addEventListener("htmx:responseError", function (event) {
    show(explain(event.detail.xhr));
  });
  document.addEventListener("htmx:sendError", function () {
    show("The server could not be reached. Check the connection and try again.");
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    // A fresh action replaces an old message, except the background refresh of the day.
    var source = event.detail.elt;
    if (!source || !source.hasAttribute("hx-trigger") || !/every/.test(source.getAttribute("hx-trigger"))) {
      hide();
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("#dash-error [data-dismiss]")) { hide(); }
  });
})();

/* The phone's menu: the navigation folds behind a Menu button. The header is marked
   menu-ready only here, so without JavaScript the navigation stays in view. */
(function () {
  "use strict";

  function setUp() {
    var header = document.querySelector("[data-menu]");
    var button = header && header.querySelector("[data-menu-button]");
    if (!button) { return; }
    header.classList.add("menu-ready");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = header.classList.toggle("menu-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
