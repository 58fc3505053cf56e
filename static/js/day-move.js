/* The day view: drag a booking card to another time or staff column (SortableJS), which
   posts the panel's Move form (day, staff_id, start) through htmx; the answer is the
   booking's panel, and the columns refresh themselves on success (HX-Trigger day-changed).
   Nothing is decided here: the server checks the time exactly as for a new booking, and a
   refusal comes back as the panel with its message (409 or 422), the card left where it was. */
(function () {
  "use strict";

  var pointer = { x: 0, y: 0 };
  var dragging = null;
  // Where on the card it was grabbed (px below its top edge), taken when pressed: by the
  // time the drag starts, the pointer has already moved.
  var grab = 0;

  function track(event) {
    var point = event.touches && event.touches.length ? event.touches[0] : event;
    if (point && typeof point.clientX === "number") {
      pointer.x = point.clientX;
      pointer.y = point.clientY;
    }
  }
  function press(event) {
    track(event);
    var card = event.target.closest && event.target.closest("[data-move-url]");
    if (card) { grab = pointer.y - card.getBoundingClientRect().top; }
  }
  ["pointermove", "mousemove", "touchmove"].forEach(function (name) {
    document.addEventListener(name, track, { capture: true, passive: true });
  });
  ["pointerdown", "mousedown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, press, { capture: true, passive: true });
  });

  function columnAt(grid, x) {
    var bodies = grid.querySelectorAll(".staff-column .column-body");
    for (var i = 0; i < bodies.length; i++) {
      var box = bodies[i].getBoundingClientRect();
      if (x >= box.left && x <= box.right) { return bodies[i]; }
    }
    return null;
  }

  function drop(grid, card) {
    var body = columnAt(grid, pointer.x);
    if (!body) { return; }
    var box = body.getBoundingClientRect();
    var gridMinutes = Number(grid.dataset.gridMinutes);
    var step = Number(grid.dataset.slotMinutes) || 15;
    var perMinute = box.height / gridMinutes;
    var minutes = Math.round((pointer.y - dragging.grab - box.top) / perMinute / step) * step;
    minutes = Math.max(0, Math.min(minutes, gridMinutes - step));
    var start = new Date(Date.parse(grid.dataset.gridStart) + minutes * 60000);
    var staffId = body.closest(".staff-column").dataset.staffId;
    if (staffId === dragging.staffId && start.getTime() === Date.parse(card.dataset.startsAt)) { return; }
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card, target: "#booking-panel", swap: "outerHTML",
      values: { day: grid.dataset.day, staff_id: staffId, start: start.toISOString() }
    });
  }

  function setUp(root) {
    var grid = root.id === "day-columns" ? root : root.querySelector && root.querySelector("#day-columns");
    if (!grid || typeof Sortable === "undefined" || !window.moveSortable) { return; }
    grid.querySelectorAll(".staff-column .column-body").forEach(function (body) {
      window.moveSortable(body, "day-bookings", {
        onStart: function (event) {
          var card = event.item;
          dragging = {
            parent: card.parentNode, next: card.nextSibling,
            staffId: card.closest(".staff-column").dataset.staffId,
            grab: grab
          };
        },
        onEnd: function (event) {
          var card = event.item;
          // Put the card back where it was: where it goes is the server's answer.
          dragging.parent.insertBefore(card, dragging.next);
          drop(grid, card);
          dragging = null;
        }
      });
    });
  }

  // A refused move (409: the time was taken) is the panel with its message: show it there
  // rather than only in the error banner.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr.status === 409 && target && target.id === "booking-panel") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // The columns' minute refresh would pull the card from under the pointer.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (dragging && event.detail.elt && event.detail.elt.id === "day-columns") { event.preventDefault(); }
  });

  htmx.onLoad(setUp);
})();
