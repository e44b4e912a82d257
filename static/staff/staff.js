// City staff pages: sortable tables. Each column header holds a button; pressing it sorts the table's rows by that
// column (numbers by their data-value), sets aria-sort on the header and says the new order in a live region.
"use strict";
(function () {
  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) return numeric ? 0 : "";
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
    if (numeric) {
      var number = parseFloat(raw);
      return isNaN(number) ? 0 : number;
    }
    return raw.toLocaleLowerCase();
  }

  function sortTable(table, header) {
    var headers = Array.prototype.slice.call(header.parentNode.children);
    var index = headers.indexOf(header);
    var numeric = header.getAttribute("data-type") === "number";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var collator = new Intl.Collator(document.documentElement.lang || "de", { numeric: true });
    rows.sort(function (a, b) {
      var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
      var order = numeric ? x - y : collator.compare(x, y);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    headers.forEach(function (other) { if (other !== header) other.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var status = document.getElementById("sort-status");
    if (status) {
      var label = header.querySelector("button").textContent.trim();
      var template = status.getAttribute(ascending ? "data-asc" : "data-desc") || "";
      status.textContent = template.replace("{column}", label);
    }
  }

  // Each cell carries its column's name, shown beside the value when a phone stacks the rows (staff.css).
  function labelCells() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-wrap table"), function (table) {
      var headers = table.tHead ? Array.prototype.map.call(table.tHead.rows[0].cells, function (th) {
        return th.textContent.trim();
      }) : [];
      Array.prototype.forEach.call(table.querySelectorAll("tbody tr, tfoot tr"), function (row) {
        Array.prototype.forEach.call(row.cells, function (cell, i) {
          if (headers[i] && cell.tagName === "TD") cell.setAttribute("data-label", headers[i]);
        });
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", labelCells);
  else labelCells();

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("th button.sort") : null;
    if (!button) return;
    var header = button.closest("th");
    var table = button.closest("table");
    if (header && table && table.tBodies.length) sortTable(table, header);
  });
})();
