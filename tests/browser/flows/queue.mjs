// The queue as a team uses it: a closed request found by the person's email, two
// requests assigned at once from the queue (no script needed), the filtered queue
// downloaded as CSV, and the closed view on a desktop and a phone (cards, no sideways
// scrolling). Runs after the staff flow, which closed the access request.

import { audit, check, DESKTOP, expectText, newPage, PHONE, screenshot } from "../lib/browser.mjs";
import { STAFF_PASSWORD } from "./staff.mjs";

async function logIn(browser, env, viewport) {
  const page = await newPage(browser, viewport);
  await page.goto(env.base + "/staff/login");
  await page.fill("#email", env.adminEmail);
  await page.fill("#password", STAFF_PASSWORD);
  await page.click("form button[type=submit]");
  await page.waitForURL((u) => u.pathname === "/staff");
  return page;
}

export async function queueTools(browser, env, filed) {
  const page = await logIn(browser, env, DESKTOP);

  // Closed-request search: the fulfilled access request, found by the person's email.
  await page.fill("#f-q", filed.access.email);
  await page.click("form.filters button[type=submit]");
  await page.waitForURL("**/staff?*q=*");
  await expectText(page, filed.access.reference);
  await expectText(page, "Search results from every request");
  await audit(page, "staff-queue-search");

  // The closed view lists it too, with words where days would be.
  await page.goto(env.base + "/staff?view=closed");
  await expectText(page, filed.access.reference);
  check(
    (await page.getAttribute("a[aria-current=page]", "href")).includes("view=closed"),
    "the closed view is marked current",
  );
  await audit(page, "staff-queue-closed");
  await screenshot(page, "staff-queue-closed");

  // Bulk assign: tick two open requests, choose a person, one click.
  await page.goto(env.base + "/staff");
  const rows = [filed.deletion.reference, filed.correction.reference];
  for (const reference of rows) {
    await page.getByLabel(`Select ${reference}`, { exact: true }).check();
  }
  await page.selectOption("#b-assignee", { label: env.adminEmail });
  await Promise.all([page.waitForNavigation(), page.click("button[name=action][value=assign]")]);
  await expectText(page, `2 assigned to ${env.adminEmail}.`);
  const assigned = await page.textContent("table.queue");
  check(assigned.includes(env.adminEmail), "the queue shows the assignee by name");
  await audit(page, "staff-queue-bulk-done");
  // With script, "select all on this page" ticks every row box too.
  await page.getByLabel("Select all requests on this page", { exact: true }).check();
  const boxes = page.locator("input[type=checkbox][name=r]");
  check(
    (await boxes.count()) > 0 && (await page.locator("input[name=r]:checked").count()) === (await boxes.count()),
    "select all ticks every row",
  );

  // The queue as filtered, as CSV.
  await page.goto(env.base + "/staff?kind=deletion");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("a[href^='/staff/queue.csv']"),
  ]);
  const { readFileSync } = await import("node:fs");
  const csv = readFileSync(await download.path(), "utf8");
  check(csv.startsWith("reference,kind,law,status,channel,received,due,acknowledge_by,assignee,days_left"), "the CSV has its header");
  check(csv.includes(filed.deletion.reference), "the CSV lists the filtered request");
  check(!csv.includes(filed.correction.reference), "the CSV keeps the filter");
  check(download.suggestedFilename().endsWith(".csv"), "the file is named .csv");
  await page.context().close();

  // On a phone: the queue and the closed view are cards, without sideways scrolling.
  const phone = await logIn(browser, env, PHONE);
  await audit(phone, "staff-queue");
  await phone.goto(env.base + "/staff?view=closed");
  await audit(phone, "staff-queue-closed");
  await screenshot(phone, "staff-queue-closed");
  await phone.context().close();
}
