// Times in the visitor's own zone, beside the business's (issue 16). The pages state the
// business's zone ("Times are in London time (GMT)") and work without this file; with it,
// a visitor whose clock reads differently (a browser in New York booking in London) also
// sees each time on their own clock. Nothing is added where both clocks agree.
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
    var marker = root.querySelector("[data-business-zone]") || document.querySelector("[data-business-zone]");
    if (!mine || !marker) return;
    var theirs = marker.getAttribute("data-business-zone");
    if (theirs === mine) return;
    var plain = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    var wallThere = new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: theirs, day: "numeric" }, plain));
    var wallHere = new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: mine, day: "numeric" }, plain));
    var clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZone: mine, timeZoneName: "short" });
    var long = new Intl.DateTimeFormat(undefined, {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: mine, timeZoneName: "short",
    });
    function differs(when) { return wallThere.format(when) !== wallHere.format(when); }
    var shown = false;
    root.querySelectorAll("button.slot[value]").forEach(function (button) {
      var when = new Date(button.value);
      if (button.querySelector(".visitor-time") || isNaN(when) || !differs(when)) return;
      var span = document.createElement("span");
      span.className = "visitor-time";
      span.textContent = clock.format(when);
      button.appendChild(span);
      shown = true;
    });
    root.querySelectorAll("span.visitor-time[data-utc][hidden]").forEach(function (span) {
      var when = new Date(span.getAttribute("data-utc"));
      if (isNaN(when) || !differs(when)) return;
      // The words come from the page, in its language (data-words).
      var words = span.getAttribute("data-words") || "{time} your time ({city})";
      span.textContent = " · " + words.replace("{time}", long.format(when)).replace("{city}", city(mine));
      span.hidden = false;
    });
    if (shown) {
      root.querySelectorAll(".visitor-zone-note[hidden]").forEach(function (note) {
        var words = note.getAttribute("data-words") || "; the smaller time on each button is yours ({city})";
        note.textContent = words.replace("{city}", city(mine));
        note.hidden = false;
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () { show(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    target = (target && target.id && document.getElementById(target.id)) || document;
    show(target);
  });
})();
