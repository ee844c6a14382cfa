// Links that outlive a click: a confirmation link opened a second time leads to the
// status link by email; a person who lost their links asks for a fresh one from the
// home page; a staff error page belongs to the staff side.

import { audit, check, DESKTOP, expectText, newPage, PHONE, screenshot } from "../lib/browser.mjs";
import { linkFromEmail } from "../lib/mail.mjs";

async function visit(page, name) {
  await audit(page, name);
  await screenshot(page, name);
}

/// Files a Californian access request for `email` and confirms it; returns the
/// confirmation link and the status link.
async function fileAndConfirm(page, env, email) {
  await page.goto(env.base + "/requests/new?jurisdiction=california");
  await page.check("#kind-access");
  await page.fill("#name", "Lou Links");
  await page.fill("#email", email);
  await page.click("form[action='/requests'] button[type=submit]");
  await page.waitForSelector(".panel .reference");
  const verify = await linkFromEmail(env.mail, email, "/verify/");
  await page.goto(env.base + verify);
  await page.click(`form[action='${verify}'] button[type=submit]`);
  await page.waitForSelector("a[href^='/status/']");
  const status = await page.getAttribute("a[href^='/status/']", "href");
  return { verify, status };
}

export async function linksThatOutliveAClick(browser, env) {
  const email = "lou@links.example";
  const page = await newPage(browser, DESKTOP);
  const { verify, status } = await fileAndConfirm(page, env, email);
  const seen = [status];

  // The email button pressed a second time: confirmed already, the status link by email.
  for (const viewport of [DESKTOP, PHONE]) {
    await page.setViewportSize(viewport);
    const again = await page.goto(env.base + verify);
    check(again.status() === 200, "a used confirmation link is not an error");
    await expectText(page, "already confirmed");
    check(!(await page.content()).includes("/status/"), "a used confirmation link does not open the request");
    await audit(page, "link-confirmed");
  }
  await page.click(`form[action='${verify}/resend'] button[type=submit]`);
  await expectText(page, "Check your email");
  const resent = await linkFromEmail(env.mail, email, "/status/", { exclude: seen });
  seen.push(resent);
  const opened = await page.goto(env.base + resent);
  check(opened.status() === 200, "the status link sent again opens the request");

  // Lost every link: the home page leads to a form that emails a fresh one.
  for (const viewport of [DESKTOP, PHONE]) {
    await page.setViewportSize(viewport);
    await page.goto(env.base + "/");
    await page.click("a[href='/status']");
    await page.waitForSelector("form[action='/status']");
    await visit(page, "status-lost");
  }
  // An address that is not one: the error is announced and linked to the field.
  await page.fill("#email", "lou-at-links");
  await page.click("form[action='/status'] button[type=submit]");
  await page.waitForSelector(".error-summary[role=alert]");
  check((await page.getAttribute("#email", "aria-invalid")) === "true", "the email field is marked invalid");
  await audit(page, "status-lost-errors");
  await page.fill("#email", email);
  await page.click("form[action='/status'] button[type=submit]");
  await expectText(page, "Check your email");
  await audit(page, "link-sent");
  const fresh = await linkFromEmail(env.mail, email, "/status/", { exclude: seen });
  await page.goto(env.base + fresh);
  await expectText(page, "Your request");
  await page.context().close();

  // Staff who mistype an address stay on the staff side, with a way to the queue.
  for (const viewport of [DESKTOP, PHONE]) {
    const staffPage = await newPage(browser, viewport);
    const missing = await staffPage.goto(env.base + "/staff/no-such-page");
    check(missing.status() === 404, "a missing staff page answers 404");
    await expectText(staffPage, "Back to the queue");
    check((await staffPage.getAttribute("body", "class")) === "staff", "the staff layout");
    await visit(staffPage, "staff-error");
    await staffPage.context().close();
  }
}
