/* The drag options the day and week views share (SortableJS): only cards that can be moved
   (data-move-url) are dragged, a column is never re-sorted (where a card goes is the server's
   answer), and mouse and touch alike go through pointer events: a long press on a phone, so
   the grid still scrolls under a finger. Each view adds its own group and handlers.
   Loaded after sortable-1.15.7.min.js and before day-move.js / week-move.js. */
(function () {
  "use strict";

  window.moveSortable = function (element, group, handlers) {
    var options = {
      group: group,
      draggable: "[data-move-url]",
      sort: false,
      forceFallback: true,
      fallbackOnBody: true,
      delay: 200,
      delayOnTouchOnly: true,
      fallbackTolerance: 3
    };
    Object.keys(handlers || {}).forEach(function (name) { options[name] = handlers[name]; });
    return Sortable.create(element, options);
  };
})();
