// The other-affiliation headcount grid: running totals while typing, and the "closed" toggle that zeroes a
// school's rows (remembering what was typed, so unticking gives it back). The server validates everything again.
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
    return /^\+?\d+$/.test(text) ? parseInt(text, 10) : 0;
  }

  function show(el, value) {
    if (el) el.textContent = fmt.format(value);
  }

  function recompute() {
    var levels = { male: {}, female: {} };
    var grand = { male: 0, female: 0 };
    form.querySelectorAll("tbody.other-school").forEach(function (school) {
      var total = 0;
      school.querySelectorAll("tr.gender-row").forEach(function (row) {
        var gender = row.getAttribute("data-gender");
        var sum = 0;
        row.querySelectorAll(".js-count").forEach(function (input) {
          var n = count(input);
          var level = input.getAttribute("data-level");
          levels[gender][level] = (levels[gender][level] || 0) + n;
          sum += n;
        });
        show(row.querySelector(".js-row-total"), sum);
        grand[gender] += sum;
        total += sum;
      });
      show(school.querySelector(".js-school-total"), total);
    });
    form.querySelectorAll("tbody.grid-totals tr[data-gender]").forEach(function (row) {
      var gender = row.getAttribute("data-gender");
      row.querySelectorAll(".js-level-total").forEach(function (cell) {
        var level = cell.getAttribute("data-level");
        var m = levels.male[level] || 0;
        var f = levels.female[level] || 0;
        show(cell, gender === "male" ? m : gender === "female" ? f : m + f);
      });
    });
    document.querySelectorAll(".js-grand-male").forEach(function (el) { show(el, grand.male); });
    document.querySelectorAll(".js-grand-female").forEach(function (el) { show(el, grand.female); });
    document.querySelectorAll(".js-grand-total").forEach(function (el) { show(el, grand.male + grand.female); });
  }

  function applyClosed(box, restore) {
    var school = box.closest("tbody.other-school");
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
  // A school saved as closed starts zeroed and read-only (unless it carries a problem to correct).
  if (!form.hasAttribute("data-readonly")) {
    form.querySelectorAll(".js-closed:checked").forEach(function (box) {
      if (!box.classList.contains("is-invalid")) applyClosed(box, false);
    });
  }
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  recompute();
})();
