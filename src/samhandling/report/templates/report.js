/* Search and sort for the report's tables.  The page reads the same without it: every table is complete
   and in a sensible order; this only adds a search field to long tables and sort buttons to headings.
   No external files, no network, no storage. */
(function () {
  "use strict";
  var body = document.body;
  document.documentElement.className += " js";
  function text(node) { return (node.textContent || "").replace(/\s+/g, " ").trim(); }
  Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable], table[data-searchable]"), function (table) {
    var tbody = table.tBodies[0];
    if (!tbody) { return; }
    var rows = Array.prototype.slice.call(tbody.rows);
    var scroller = table.parentNode;
    if (table.hasAttribute("data-searchable")) {
      var box = document.createElement("div");
      box.className = "table-search";
      var label = document.createElement("label");
      var input = document.createElement("input");
      var count = document.createElement("span");
      input.type = "search";
      input.placeholder = body.getAttribute("data-search-placeholder");
      label.appendChild(document.createTextNode(body.getAttribute("data-search-label") + " "));
      label.appendChild(input);
      count.className = "table-count";
      count.setAttribute("aria-live", "polite");
      box.appendChild(label);
      box.appendChild(count);
      scroller.parentNode.insertBefore(box, scroller);
      var template = body.getAttribute("data-search-count");
      var haystack = rows.map(function (row) { return text(row).toLowerCase(); });
      var update = function () {
        var query = input.value.trim().toLowerCase();
        var shown = 0;
        rows.forEach(function (row, index) {
          var visible = !query || haystack[index].indexOf(query) !== -1;
          row.hidden = !visible;
          if (visible) { shown += 1; }
        });
        count.textContent = template.replace("{shown}", shown).replace("{total}", rows.length);
      };
      input.addEventListener("input", update);
      update();
    }
    if (table.hasAttribute("data-sortable") && table.tHead) {
      var heads = table.tHead.rows[0].cells;
      var hint = document.createElement("p");
      hint.className = "sort-hint";
      hint.textContent = body.getAttribute("data-sort-hint");
      scroller.parentNode.insertBefore(hint, scroller);
      Array.prototype.forEach.call(heads, function (th, column) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "sort-button";
        while (th.firstChild) { button.appendChild(th.firstChild); }
        th.appendChild(button);
        button.setAttribute("aria-label", body.getAttribute("data-sort-label").replace("{column}", text(button)));
        button.addEventListener("click", function () {
          var ascending = th.getAttribute("aria-sort") !== "ascending";
          Array.prototype.forEach.call(heads, function (other) { other.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
          var numeric = th.className.indexOf("num") !== -1;
          var keyed = rows.map(function (row, index) {
            var cell = row.cells[column];
            var raw = cell ? cell.getAttribute("data-sort") : null;
            var key = numeric ? (raw === null || raw === "" ? null : parseFloat(raw)) : (cell ? text(cell) : "");
            return { row: row, index: index, key: key };
          });
          keyed.sort(function (a, b) {
            if (a.key === null && b.key === null) { return a.index - b.index; }
            if (a.key === null) { return 1; }
            if (b.key === null) { return -1; }
            var order = numeric ? a.key - b.key : String(a.key).localeCompare(String(b.key), "nb");
            return (ascending ? order : -order) || a.index - b.index;
          });
          keyed.forEach(function (item) { tbody.appendChild(item.row); });
        });
      });
    }
  });
})();
