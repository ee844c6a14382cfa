// The consumer flow with the keyboard alone: Tab to move, Space to choose, Enter to
// follow or send, typing into fields. No clicks. Every focused control must show focus.

import { check, expectText, newPage, PHONE, tabTo } from "../lib/browser.mjs";
import { linkFromEmail } from "../lib/mail.mjs";

export async function keyboardOnly(browser, env) {
  const email = "keyboard@consumer.example";
  const page = await newPage(browser, PHONE);
  await page.goto(env.base + "/");

  // The first Tab reaches the skip link, which moves focus to the main content.
  await tabTo(page, "a.skip-link", 1);
  await page.keyboard.press("Enter");
  check(
    await page.evaluate(() => document.activeElement?.id === "main" || location.hash === "#main"),
    "the skip link leads to the main content",
  );

  await tabTo(page, "a.button[href='/requests/new']");
  await Promise.all([page.waitForURL("**/requests/new"), page.keyboard.press("Enter")]);

  // A radio group is one Tab stop; Space chooses the focused place.
  await tabTo(page, "input[name=jurisdiction]");
  await page.keyboard.press("Space");
  await tabTo(page, "button[type=submit]");
  await Promise.all([page.waitForURL("**jurisdiction=*"), page.keyboard.press("Enter")]);

  await tabTo(page, "input[name=kind]");
  await page.keyboard.press("Space");
  await tabTo(page, "#name");
  await page.keyboard.type("Kay Board");
  await tabTo(page, "#email");
  await page.keyboard.type(email);
  await tabTo(page, "form[action='/requests'] button[type=submit]");
  await Promise.all([page.waitForSelector(".panel .reference"), page.keyboard.press("Enter")]);
  const reference = (await page.textContent(".panel .reference")).trim();

  // The email link is opened (as from a mail app), then the keyboard again.
  const verify = await linkFromEmail(env.mail, email, "/verify/");
  await page.goto(env.base + verify);
  await tabTo(page, `form[action='${verify}'] button[type=submit]`);
  await Promise.all([page.waitForSelector("a[href^='/status/']"), page.keyboard.press("Space")]);
  await tabTo(page, "a[href^='/status/']");
  await Promise.all([page.waitForURL("**/status/**"), page.keyboard.press("Enter")]);
  await expectText(page, reference);
  await page.context().close();
}
