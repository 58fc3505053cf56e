/* The week view: drag a booking card to another day. The booking keeps its staff member and
   its local time: the Move form of that day is asked for its free times (the server's own
   list, in the business's zone, so a DST day needs nothing here) and, when the same time is
   free, that time is posted exactly as the panel's Move button would post it. When it is not,
   the panel opens on the Move form of that day, so the owner picks another time. Nothing is
   decided here: the server checks the move as it checks a new booking. */
(function () {
  "use strict";

  function moveFormHtml(card, day) {
    var url = card.dataset.moveFormUrl + "?day=" + encodeURIComponent(day) +
      "&staff_id=" + encodeURIComponent(card.dataset.staffId);
    return fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("move form " + response.status); }
        return response.text();
      });
  }

  function moveTo(card, day) {
    moveFormHtml(card, day).then(function (html) {
      var form = new DOMParser().parseFromString(html, "text/html");
      var sameTime = form.querySelector('input[name="start"][data-time="' + card.dataset.start + '"]');
      var token = form.querySelector('input[name="csrf_token"]');
      if (sameTime && token) {
        htmx.ajax("POST", card.dataset.moveUrl, {
          source: card, target: "#booking-panel", swap: "outerHTML",
          values: { csrf_token: token.value, day: day, staff_id: card.dataset.staffId, start: sameTime.value }
        });
        return;
      }
      // Not free at that time: the booking's panel, then its Move form on the chosen day.
      htmx.ajax("GET", card.getAttribute("href"), { target: "#booking-panel", swap: "outerHTML" }).then(function () {
        htmx.ajax("GET", card.dataset.moveFormUrl, {
          target: "#move-form", swap: "outerHTML", values: { day: day, staff_id: card.dataset.staffId }
        });
      });
    }).catch(function () {
      htmx.ajax("GET", card.getAttribute("href"), { target: "#booking-panel", swap: "outerHTML" });
    });
  }

  function setUp(root) {
    var grid = root.id === "week-columns" ? root : root.querySelector && root.querySelector("#week-columns");
    if (!grid || typeof Sortable === "undefined" || !window.moveSortable) { return; }
    grid.querySelectorAll(".week-day").forEach(function (column) {
      window.moveSortable(column, "week-bookings", {
        onEnd: function (event) {
          var card = event.item;
          var from = event.from.dataset.day;
          var to = event.to.dataset.day;
          // Put the card back: where it goes is the server's answer (the week refreshes).
          event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
          if (to && to !== from) { moveTo(card, to); }
        }
      });
    });
  }

  htmx.onLoad(setUp);
})();
