// The privacy team: the first administrator logs in with the one-time password, must
// choose their own, filters the queue (the filters stay in the URL), and works the
// access request to closure: see it acknowledged, record the identity check, send the access
// package (which the consumer then downloads), fulfil.

import { audit, check, DESKTOP, expectText, newPage, PHONE, screenshot } from "../lib/browser.mjs";
import { downloadPackage } from "./consumer.mjs";

export const NEW_PASSWORD = "correct horse battery staple again";
export const STAFF_PASSWORD = NEW_PASSWORD;
/// Staff clicks to work a California access request from the queue to closed (no
/// connected system): open it, tick 3 data points and the declaration, record the
/// check, "send the package and close", Send. It was 8 before the confirmation page
/// (open, 4 ticks, record, send package, fulfil); the one-step close keeps it there.
const MAX_CLICKS_TO_CLOSE = 8;

async function visit(page, name, shots = true) {
  await audit(page, name);
  if (shots) await screenshot(page, name);
}

function actionButton(action) {
  return `form:has(input[name=action][value=${action}]) button[type=submit]`;
}

/// Sends a form and waits for the page the portal answers with (a redirect back).
async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

export async function staffWorkToClosure(browser, env, filed, agentReference) {
  const page = await newPage(browser, DESKTOP);
  await page.goto(env.base + "/staff/login");
  await visit(page, "staff-login");
  await page.fill("#email", env.adminEmail);
  await page.fill("#password", "not the password");
  await page.click("form button[type=submit]");
  await page.waitForSelector(".error-summary[role=alert]");
  await audit(page, "staff-login-error");
  await page.fill("#password", env.adminPassword);
  await page.click("form button[type=submit]");
  await page.waitForURL("**/staff/password");
  await visit(page, "staff-password", false);
  await page.fill("#current", env.adminPassword);
  await page.fill("#new", NEW_PASSWORD);
  await page.fill("#repeat", NEW_PASSWORD);
  await page.click("form[action='/staff/password'] button[type=submit]");
  await page.waitForURL((u) => u.pathname === "/staff");
  await visit(page, "staff-queue");

  // Filter by kind: the choice is in the URL, kept in the form, and narrows the list.
  await page.selectOption("#f-kind", "access");
  await page.click("form.filters button[type=submit]");
  await page.waitForURL("**/staff?*kind=access*");
  check((await page.inputValue("#f-kind")) === "access", "the filter is kept in the form");
  await expectText(page, filed.access.reference);
  const body = await page.textContent("table.queue");
  check(!body.includes(filed.deletion.reference), "a deletion is filtered out");
  check((await page.locator("table.queue .days-left").count()) > 0, "rows carry days-left badges");
  await audit(page, "staff-queue-filtered");

  // Work the access request, counting the staff member's clicks.
  let clicks = 0;
  const click = async (selector) => {
    clicks += 1;
    await page.click(selector);
  };
  await click(`a:text-is("${filed.access.reference}")`);
  await page.waitForSelector("h1 .reference");
  await visit(page, "staff-request");
  // The CCPA acknowledgement went out when the person confirmed their address: the page
  // says so, and offers no second one.
  await expectText(page, "acknowledged");
  check((await page.locator(actionButton("acknowledge")).count()) === 0, "acknowledged once");
  await expectText(page, "Verify the person's identity.");
  check((await page.inputValue("#method")) === "data_points", "data points are the default method");
  for (const point of ["name", "account_id", "postal_address"]) await click(`#pt-${point}`);
  await click("#declaration");
  await Promise.all([page.waitForNavigation(), click(actionButton("verify"))]);
  check((await page.textContent(".facts .status")).includes("In progress"), "work started");
  await expectText(page, "Identity verified to a reasonably high degree");
  await audit(page, "staff-request-in-progress");
  // The verification gave the manual system a task: its list and its page, in a tab of
  // their own so the request's page stays where it is.
  const tasks = await page.context().newPage();
  await tasks.goto(env.base + "/staff/tasks");
  await visit(tasks, "staff-tasks");
  await tasks.click("a[href^='/staff/tasks/']");
  await tasks.waitForSelector("h1");
  await expectText(tasks, "Export the contact from the CRM as CSV (UTF-8).");
  await visit(tasks, "staff-task");
  await tasks.close();
  await Promise.all([page.waitForNavigation(), click("form:has(input[name=package]) button[type=submit]")]);
  await expectText(page, "The access package is built");
  await Promise.all([page.waitForNavigation(), click("form:has(input[name=confirmed]) button[type=submit]")]);
  check(clicks <= MAX_CLICKS_TO_CLOSE, `closed in ${clicks} clicks (at most ${MAX_CLICKS_TO_CLOSE})`);

  await downloadPackage(browser, env, filed.access.email, DESKTOP);
  await downloadPackage(browser, env, filed.access.email, PHONE);

  check(
    (await page.textContent(".facts .status")).includes("Fulfilled"),
    "the request is closed as fulfilled",
  );
  await audit(page, "staff-request-closed");

  // The person sees the outcome on their status page.
  const consumer = await newPage(browser, PHONE);
  await consumer.goto(env.base + filed.access.status);
  await expectText(consumer, "your request has been completed");
  await audit(consumer, "status-fulfilled");
  await consumer.context().close();

  // The agent's request shows its document; the other staff pages pass the audit too.
  await page.goto(env.base + "/staff?q=" + encodeURIComponent(agentReference));
  await page.click(`a:text-is("${agentReference}")`);
  await page.waitForSelector("h1 .reference");
  await expectText(page, "Authorized agent");
  await audit(page, "staff-request-agent");
  for (const [path, name] of [
    ["/staff/accounts", "staff-accounts"],
    ["/staff/sessions", "staff-sessions"],
    ["/staff/audit", "staff-audit"],
    ["/staff/metrics", "staff-metrics"],
    ["/staff/agents", "staff-agents"],
  ]) {
    await page.goto(env.base + path);
    await visit(page, name, name === "staff-metrics");
  }
  await page.context().close();

  // Staff pages on a phone: the queue still works.
  const phone = await newPage(browser, PHONE);
  await phone.goto(env.base + "/staff/login");
  await phone.fill("#email", env.adminEmail);
  await phone.fill("#password", NEW_PASSWORD);
  await phone.click("form button[type=submit]");
  await phone.waitForURL((u) => u.pathname === "/staff");
  await audit(phone, "staff-queue");
  await screenshot(phone, "staff-queue");
  await phone.context().close();
}
