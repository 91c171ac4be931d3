// hfguard dashboard: filter and search the model-type rows that index.html holds. No library, no network.
"use strict";

(function () {
  const table = document.getElementById("model-table");
  if (!table) return;
  const rows = Array.from(table.tBodies[0].rows);
  const controls = {
    q: document.getElementById("q"),
    family: document.getElementById("family"),
    status: document.getElementById("status"),
    check: document.getElementById("check"),
    checkStatus: document.getElementById("check-status"),
  };
  const count = document.getElementById("count");
  const empty = document.getElementById("empty");
  // Read each row once: name, family, status and {check: status} (its checks cells, hfguard's and the team's, list
  // "check:status" pairs; a team check's id is "team:<id>").
  const data = rows.map(function (row) {
    const checks = {};
    for (const cell of row.querySelectorAll("td.checks, td.team-checks")) {
      for (const pair of cell.dataset.checks.split(" ")) {
        const cut = pair.lastIndexOf(":");
        if (cut > 0) checks[pair.slice(0, cut)] = pair.slice(cut + 1);
      }
    }
    return { row: row, name: row.dataset.name, family: row.dataset.family, status: row.dataset.status, checks: checks };
  });

  function value(control) {
    return control ? control.value : "";
  }

  function matches(item, query, family, status, check, checkStatus) {
    if (query && item.name.indexOf(query) === -1) return false;
    if (family && item.family !== family) return false;
    if (status === "broken" && item.status !== "failing" && item.status !== "error") return false;
    if (status && status !== "broken" && item.status !== status) return false;
    if (check && !(check in item.checks)) return false;
    if (checkStatus) {
      const names = check ? [check] : Object.keys(item.checks);
      if (!names.some(function (name) { return item.checks[name] === checkStatus; })) return false;
    }
    return true;
  }

  function apply() {
    const query = value(controls.q).trim().toLowerCase();
    const family = value(controls.family);
    const status = value(controls.status);
    const check = value(controls.check);
    const checkStatus = value(controls.checkStatus);
    let shown = 0;
    for (const item of data) {
      const visible = matches(item, query, family, status, check, checkStatus);
      if (item.row.hidden === visible) item.row.hidden = !visible;
      if (visible) shown += 1;
    }
    count.textContent = shown + " of " + data.length + " model types";
    empty.hidden = shown !== 0;
    const state = new URLSearchParams();
    if (query) state.set("q", query);
    if (family) state.set("family", family);
    if (status) state.set("status", status);
    if (check) state.set("check", check);
    if (checkStatus) state.set("check-status", checkStatus);
    const hash = state.toString();
    if (window.location.protocol !== "file:") history.replaceState(null, "", hash ? "#" + hash : window.location.pathname);
  }

  // Filters given in the address (#status=failing&family=vision) apply on load.
  const initial = new URLSearchParams(window.location.hash.slice(1));
  const keys = { q: "q", family: "family", status: "status", check: "check", checkStatus: "check-status" };
  Object.keys(keys).forEach(function (key) {
    const given = initial.get(keys[key]);
    if (given !== null && controls[key]) controls[key].value = given;
  });

  Object.keys(controls).forEach(function (key) {
    if (controls[key]) controls[key].addEventListener(key === "q" ? "input" : "change", apply);
  });
  const form = document.getElementById("filters");
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  form.addEventListener("submit", function (event) { event.preventDefault(); });

  // Keyboard: "/" jumps to the search box, Escape in it clears it.
  document.addEventListener("keydown", function (event) {
    const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement;
    if (event.key === "/" && !typing) {
      event.preventDefault();
      controls.q.focus();
    } else if (event.key === "Escape" && event.target === controls.q) {
      controls.q.value = "";
      apply();
    }
  });

  apply();
})();
