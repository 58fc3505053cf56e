// Times in the visitor's own zone, beside the business's (issue 16). The pages state the
// business's zone ("Times are in London time (GMT)") and work without this file; with it,
// a visitor whose browser is in another zone also sees each time on their own clock.
(function () {
  "use strict";

  function visitorZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }

  function city(zone) {
    return zone.split("/").pop().replace(/_/g, " ");
  }

  function show(root) {
    var mine = visitorZone();
    var marker = (root || document).querySelector("[data-business-zone]") || document.querySelector("[data-business-zone]");
    if (!mine || !marker || marker.getAttribute("data-business-zone") === mine) return;
    var clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZone: mine, timeZoneName: "short" });
    var long = new Intl.DateTimeFormat(undefined, {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: mine, timeZoneName: "short",
    });
    (root || document).querySelectorAll("button.slot[value]").forEach(function (button) {
      if (button.querySelector(".visitor-time")) return;
      var span = document.createElement("span");
      span.className = "visitor-time";
      span.textContent = clock.format(new Date(button.value));
      button.appendChild(span);
    });
    (root || document).querySelectorAll("span.visitor-time[data-utc][hidden]").forEach(function (span) {
      span.textContent = " · " + long.format(new Date(span.getAttribute("data-utc"))) + " your time (" + city(mine) + ")";
      span.hidden = false;
    });
    (root || document).querySelectorAll(".visitor-zone-note[hidden]").forEach(function (note) {
      note.textContent = "; the smaller time on each button is yours (" + city(mine) + ")";
      note.hidden = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () { show(document); });
  document.addEventListener("htmx:afterSettle", function (event) { show(event.detail.target && event.detail.target.isConnected ? event.detail.target : document); });
})();
