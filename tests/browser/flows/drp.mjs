// The page a Data Rights Protocol agent sends the person to (its user_verification_url,
// opened as the agent presents it): seen at phone and desktop width, its button sends
// the person a new email link, and that link confirms the address.

import { audit, check, DESKTOP, newPage, PHONE } from "../lib/browser.mjs";
import { linkFromEmail } from "../lib/mail.mjs";

export async function drpConfirmation(browser, env) {
  const first = await linkFromEmail(env.mail, env.drpEmail, "/verify/");
  const phone = await newPage(browser, PHONE);
  await phone.goto(env.base + env.drpConfirm);
  await audit(phone, "drp-confirm");
  await phone.context().close();

  const page = await newPage(browser, DESKTOP);
  await page.goto(env.base + env.drpConfirm);
  await audit(page, "drp-confirm");
  await page.click("main form button[type=submit]");
  await page.waitForSelector("h1");
  await audit(page, "drp-confirm-sent");

  const fresh = await linkFromEmail(env.mail, env.drpEmail, "/verify/", { exclude: [first] });
  check(fresh !== first, "the button sent a new link");
  await page.goto(env.base + fresh);
  await page.click(`form[action='${fresh}'] button[type=submit]`);
  await page.waitForSelector("a[href^='/status/']");
  check(page.url().startsWith(env.base), "stayed on the portal");
  await page.context().close();
}
