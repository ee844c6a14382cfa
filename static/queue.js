// The queue's "select all on this page" box: with script, it ticks the row boxes too,
// and unticking a row unticks it, so what is ticked is what a bulk action acts on.
// Without script the server reads the box alone as "every row on this page".
"use strict";
const all = document.getElementById("select-all");
if (all) {
  const rows = () => document.querySelectorAll("input[type=checkbox][name=r]");
  all.addEventListener("change", () => {
    for (const box of rows()) box.checked = all.checked;
  });
  for (const box of rows()) {
    box.addEventListener("change", () => {
      if (!box.checked) all.checked = false;
    });
  }
}
