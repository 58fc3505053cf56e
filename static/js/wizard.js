// Small enhancements on top of server-rendered pages; everything works without them.
(function () {
  "use strict";

  // Move focus to the new content after an htmx swap, so keyboard and screen-reader
  // users land on the new step (or the new list of times) rather than on nothing.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || !target.id) return;
    // After an outerHTML swap the event's target is the old, detached element.
    target = document.getElementById(target.id) || target;
    var focusable = target.id === "slots"
      ? target
      : (target.querySelector("[role=alert]") || target.querySelector("h1"));
    if (focusable) {
      if (!focusable.hasAttribute("tabindex")) focusable.setAttribute("tabindex", "-1");
      focusable.focus({ preventScroll: target.id === "slots" });
    }
    // On a phone the times sit below the calendar, out of sight: bring the chosen day's
    // times into view (on a wide screen they are beside it already).
    if (target.id === "slots" && window.matchMedia("(max-width: 47.99rem)").matches) {
      var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      target.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
    }
    startCountdowns(target);
  });

  // Calendar: mark the day whose times are being fetched as the current one.
  document.addEventListener("click", function (event) {
    var day = event.target.closest && event.target.closest("a.day.free");
    if (!day) return;
    document.querySelectorAll("a.day[aria-current]").forEach(function (a) { a.removeAttribute("aria-current"); });
    day.setAttribute("aria-current", "date");
  });

  // Hold countdown: shows the minutes left; when the hold runs out, reload the step so the
  // server says so and takes the customer back to the time step with their choices.
  var timers = [];
  function startCountdowns(root) {
    timers.forEach(clearInterval);
    timers = [];
    (root || document).querySelectorAll("[data-expires-at]").forEach(function (el) {
      var expires = Date.parse(el.getAttribute("data-expires-at"));
      var out = el.querySelector(".remaining");
      function tick() {
        var left = Math.max(0, Math.round((expires - Date.now()) / 1000));
        // The words come from the page, in its language (data-words: "{left} left").
        var words = (out && out.getAttribute("data-words")) || "{left} left";
        if (out) out.textContent = " · " + words.replace("{left}", Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0"));
        if (left <= 0) {
          timers.forEach(clearInterval);
          // A moment's grace so the server's clock has passed the expiry too.
          // The details form goes along as it stands (action "hold_ran_out"), so the server
          // keeps what was typed for the next time chosen.
          setTimeout(function () {
            var form = document.querySelector("form[data-keep-typing]");
            if (!form) { window.location.assign(el.getAttribute("data-expired-url")); return; }
            var marker = document.createElement("input");
            marker.type = "hidden"; marker.name = "action"; marker.value = "hold_ran_out";
            form.appendChild(marker);
            form.submit();
          }, 1500);
        }
      }
      tick();
      timers.push(setInterval(tick, 1000));
    });
  }
  document.addEventListener("DOMContentLoaded", function () { startCountdowns(document); });
})();
