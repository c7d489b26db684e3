// Thai address entry: typing a subdistrict (ตำบล) offers "subdistrict › district › province postcode" from the
// packaged address database (GET learners/address-lookup/?q=); choosing one fills the district, province and
// postcode of the same address. A WAI-ARIA combobox: arrow keys move, Enter chooses, Escape closes.
(function () {
  "use strict";
  const url = document.currentScript.dataset.url;
  const PARTS = ["district", "province", "postcode"];

  function setup(input) {
    const base = input.id.replace(/_subdistrict$/, "");
    const list = document.createElement("ul");
    list.id = input.id + "_options";
    list.className = "list-group address-options";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.dataset.listLabel || "");
    list.hidden = true;
    input.after(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");
    let results = [], active = -1, timer = null;

    function close() {
      list.hidden = true; list.innerHTML = ""; active = -1; results = [];
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(i) {
      [...list.children].forEach((li, n) => {
        li.classList.toggle("active", n === i);
        li.setAttribute("aria-selected", n === i ? "true" : "false");
      });
      active = i;
      if (i >= 0) input.setAttribute("aria-activedescendant", list.children[i].id);
    }
    function choose(i) {
      const r = results[i];
      if (!r) return;
      input.value = r.subdistrict;
      PARTS.forEach((part) => {
        const field = document.getElementById(base + "_" + part);
        if (field) field.value = r[part];
      });
      close();
    }
    function show(found) {
      results = found;
      list.innerHTML = "";
      found.forEach((r, i) => {
        const li = document.createElement("li");
        li.id = list.id + "_" + i;
        li.className = "list-group-item list-group-item-action";
        li.setAttribute("role", "option");
        li.textContent = `${r.subdistrict} › ${r.district} › ${r.province} ${r.postcode}`;
        li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = found.length === 0;
      input.setAttribute("aria-expanded", found.length ? "true" : "false");
      highlight(-1);
    }
    input.addEventListener("input", () => {
      clearTimeout(timer);
      const q = input.value.trim();
      if (!q) { close(); return; }
      timer = setTimeout(() => {
        fetch(url + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then((r) => (r.ok ? r.json() : { results: [] }))
          .then((data) => { if (input.value.trim() === q) show(data.results); })
          .catch(close);
      }, 150);
    });
    input.addEventListener("keydown", (e) => {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(Math.min(active + 1, results.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(active); }
      else if (e.key === "Escape") { e.preventDefault(); close(); }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  }

  document.querySelectorAll("input[id$='_address_subdistrict']").forEach(setup);
})();
