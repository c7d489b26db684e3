// The other-affiliation headcount grid: running totals while typing, and the "closed" toggle that zeroes a
// school's row (remembering what was typed, so unticking gives it back). The server validates everything again.
(function () {
  "use strict";
  var form = document.getElementById("other-grid");
  if (!form) return;
  var THAI = "๐๑๒๓๔๕๖๗๘๙";
  var fmt = new Intl.NumberFormat("en-US");

  function count(input) {
    var text = "";
    var raw = (input.value || "").trim();
    for (var i = 0; i < raw.length; i++) {
      var d = THAI.indexOf(raw[i]);
      text += d >= 0 ? String(d) : raw[i];
    }
    text = text.replace(/[\s,]/g, "");
    return /^\d+$/.test(text) ? parseInt(text, 10) : 0;
  }

  function set(root, selector, value) {
    var el = root.querySelector(selector);
    if (el) el.textContent = fmt.format(value);
  }

  function recompute() {
    var levels = {};
    var grand = { male: 0, female: 0 };
    form.querySelectorAll(".other-school").forEach(function (school) {
      var sums = { male: 0, female: 0 };
      school.querySelectorAll(".level-cell").forEach(function (cell) {
        var level = cell.getAttribute("data-level");
        var pair = { male: 0, female: 0 };
        cell.querySelectorAll(".js-count").forEach(function (input) {
          pair[input.getAttribute("data-gender")] += count(input);
        });
        set(cell, ".js-cell-total", pair.male + pair.female);
        levels[level] = levels[level] || { male: 0, female: 0 };
        levels[level].male += pair.male;
        levels[level].female += pair.female;
        sums.male += pair.male;
        sums.female += pair.female;
      });
      set(school, ".js-school-male", sums.male);
      set(school, ".js-school-female", sums.female);
      set(school, ".js-school-total", sums.male + sums.female);
      grand.male += sums.male;
      grand.female += sums.female;
    });
    document.querySelectorAll(".level-totals tr[data-level]").forEach(function (row) {
      var sums = levels[row.getAttribute("data-level")] || { male: 0, female: 0 };
      set(row, ".js-level-male", sums.male);
      set(row, ".js-level-female", sums.female);
      set(row, ".js-level-total", sums.male + sums.female);
    });
    set(document, ".js-grand-male", grand.male);
    set(document, ".js-grand-female", grand.female);
    set(document, ".js-grand-total", grand.male + grand.female);
  }

  function applyClosed(box, restore) {
    var school = box.closest(".other-school");
    school.classList.toggle("is-closed", box.checked);
    school.querySelectorAll(".js-count").forEach(function (input) {
      if (box.checked) {
        if (!input.readOnly) input.setAttribute("data-before", input.value);
        input.value = "0";
        input.readOnly = true;
      } else {
        input.readOnly = false;
        if (restore && input.hasAttribute("data-before")) input.value = input.getAttribute("data-before");
        input.removeAttribute("data-before");
      }
    });
  }

  form.addEventListener("input", function (event) {
    if (event.target.classList.contains("js-count")) recompute();
  });
  form.addEventListener("change", function (event) {
    if (event.target.classList.contains("js-closed")) {
      applyClosed(event.target, true);
      recompute();
    }
  });
  // A closed school from the server (not one with a problem to correct) starts zeroed and read-only.
  if (!form.hasAttribute("data-readonly")) {
    form.querySelectorAll(".js-closed:checked").forEach(function (box) {
      if (!box.classList.contains("is-invalid")) applyClosed(box, false);
    });
  }
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  recompute();
})();
