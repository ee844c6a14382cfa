// Deciding deliberately: staff refuse the opt-out request (the other flows leave it open). The refusal first shows
// the exact notice (checked by axe at desktop and phone width), "Back to edit" keeps
// what was typed, and "Send" closes the request with a message that says so.

import { audit, check, DESKTOP, expectText, newPage, PHONE, screenshot } from "../lib/browser.mjs";
import { STAFF_PASSWORD } from "./staff.mjs";

const EXPLANATION = "The address you gave is already correct in every system we hold.";

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

export async function staffRefuseWithPreview(browser, env, filed) {
  const page = await newPage(browser, DESKTOP);
  await page.goto(env.base + "/staff/login");
  await page.fill("#email", env.adminEmail);
  await page.fill("#password", STAFF_PASSWORD);
  await submit(page, "form button[type=submit]");
  await page.goto(env.base + "/staff?q=" + encodeURIComponent(filed.opt_out.reference));
  await submit(page, `a:text-is("${filed.opt_out.reference}")`);
  check((await page.inputValue("#deny-code")) === "", "no refusal reason is chosen for staff");
  await page.selectOption("#deny-code", "not_covered");
  await page.fill("#deny-message", EXPLANATION);
  await submit(page, "form#deny button[type=submit]");

  await expectText(page, "Check the notice before it is sent");
  check((await page.textContent("pre.notice-preview")).includes(EXPLANATION), "the notice shows the text");
  await audit(page, "staff-refusal-preview");
  await screenshot(page, "staff-refusal-preview");
  await page.setViewportSize(PHONE);
  await audit(page, "staff-refusal-preview");
  await screenshot(page, "staff-refusal-preview");
  await page.setViewportSize(DESKTOP);

  await submit(page, "form:has(input[name=action][value=back]) button[type=submit]");
  check((await page.inputValue("#deny-message")) === EXPLANATION, "back to edit keeps the text");
  check((await page.inputValue("#deny-code")) === "not_covered", "and the reason");
  await submit(page, "form#deny button[type=submit]");
  await submit(page, "form:has(input[name=confirmed]) button[type=submit]");
  await expectText(page, "Request refused and closed. The person was told why.");
  check((await page.textContent(".facts .status")).includes("Denied"), "the request is refused");
  check(!(await page.textContent(".staff-timeline")).includes("{"), "the timeline reads in words");
  await audit(page, "staff-request-refused");
  await page.context().close();
}
