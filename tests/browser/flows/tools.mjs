// The team's tools: an administrator adds a saved reply (a placeholder the portal
// cannot fill is refused first) and uses it on a request; the audit log is filtered to
// that change; the metrics page shows its chart. Each page is audited at desktop and
// phone width.

import { audit, check, DESKTOP, expectText, newPage, PHONE, screenshot } from "../lib/browser.mjs";

// The password the administrator chose in the staff flow (flows/staff.mjs), which runs first.
const ADMIN_PASSWORD = "correct horse battery staple again";
const REPLY_NAME = "Correction refused (browser)";

async function visit(page, name, shots = true) {
  await audit(page, name);
  if (shots) await screenshot(page, name);
}

async function logIn(browser, env, viewport) {
  const page = await newPage(browser, viewport);
  await page.goto(env.base + "/staff/login");
  await page.fill("#email", env.adminEmail);
  await page.fill("#password", ADMIN_PASSWORD);
  await page.click("form button[type=submit]");
  await page.waitForURL((u) => u.pathname === "/staff");
  return page;
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

export async function teamTools(browser, env, filed) {
  const page = await logIn(browser, env, DESKTOP);
  await page.goto(env.base + "/staff/templates");
  await visit(page, "staff-templates");
  await page.click("a[href='/staff/templates/new']");
  await page.waitForSelector("#reply-body");
  await visit(page, "staff-template-form", false);

  await page.fill("#reply-name", REPLY_NAME);
  await page.selectOption("#reply-purpose", "refusal");
  await page.selectOption("#reply-regime", "ccpa");
  await page.fill("#reply-body", "Dear {first_name}, we cannot correct request {reference}.");
  await submit(page, "form[action='/staff/templates'] button[type=submit]");
  await page.waitForSelector(".error-summary[role=alert]");
  await expectText(page, "{first_name}");
  check((await page.inputValue("#reply-name")) === REPLY_NAME, "the form keeps what was typed");
  await visit(page, "staff-template-form-errors", false);

  await page.fill("#reply-body", "We cannot make the correction you asked for in {reference}: {organisation} holds no record of it.");
  await submit(page, "form[action='/staff/templates'] button[type=submit]");
  await page.waitForURL((u) => u.pathname === "/staff/templates");
  await expectText(page, `Saved reply “${REPLY_NAME}” saved.`);

  // Use it on the person's correction request.
  const reference = filed.correction.reference;
  await page.goto(env.base + "/staff?q=" + encodeURIComponent(reference));
  await page.click(`a:text-is("${reference}")`);
  await page.waitForSelector("#reply-choice");
  const option = page.locator("#reply-choice option", { hasText: REPLY_NAME });
  await page.selectOption("#reply-choice", await option.getAttribute("value"));
  await submit(page, "#reply-picker button[type=submit]");
  await expectText(page, `The saved reply “${REPLY_NAME}” is filled in below.`);
  check((await page.locator("a[href='#deny-message']").count()) === 1, "the notice links to the refusal box");
  const draft = await page.inputValue("#deny-message");
  // Where the request page starts its boxes with the drafts, the text is the reply filled in.
  if (draft) check(draft.includes(reference) && !draft.includes("{"), `the draft is filled: ${draft}`);
  await audit(page, "staff-request-reply");

  // The audit log, filtered to that change.
  await page.goto(env.base + "/staff/audit");
  await visit(page, "staff-audit");
  await page.selectOption("#audit-action", "reply_template_added");
  await submit(page, "form.filters button[type=submit]");
  check(page.url().includes("action=reply_template_added"), "the filter is in the URL");
  await expectText(page, "Saved reply added");
  check((await page.locator("main table tbody tr").count()) === 1, "one event matches");
  await audit(page, "staff-audit-filtered");

  await page.goto(env.base + "/staff/metrics");
  check((await page.locator("svg.trend-chart title").count()) === 1, "the chart has a title");
  await visit(page, "staff-metrics");
  await page.context().close();

  // The same pages on a phone.
  const phone = await logIn(browser, env, PHONE);
  for (const [path, name, shots] of [
    ["/staff/templates", "staff-templates", true],
    ["/staff/templates/new", "staff-template-form", false],
    ["/staff/audit?action=reply_template_added", "staff-audit-filtered", false],
    ["/staff/audit", "staff-audit", true],
    ["/staff/metrics", "staff-metrics", true],
  ]) {
    await phone.goto(env.base + path);
    await visit(phone, name, shots);
  }
  await phone.context().close();
}
