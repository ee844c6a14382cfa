// A person's language: the browser's preference chooses it, the links on every page
// change it (no script), and each language's pages pass the same accessibility audit
// with the page's `lang` set to the language shown.

import { audit, check, DESKTOP, PHONE } from "../lib/browser.mjs";

async function langOf(page) {
  return page.evaluate(() => document.documentElement.lang);
}

/// Audits the page at desktop and phone width, checking its language.
async function auditIn(page, lang, name) {
  check((await langOf(page)) === lang, `${name} has lang="${lang}" (found "${await langOf(page)}")`);
  for (const viewport of [DESKTOP, PHONE]) {
    await page.setViewportSize(viewport);
    await audit(page, name);
  }
  await page.setViewportSize(DESKTOP);
}

export async function languagesChosenAndChanged(browser, env) {
  // A German browser gets German pages.
  const context = await browser.newContext({ viewport: DESKTOP, locale: "de-DE" });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(env.base + "/");
  await auditIn(page, "de", "home-de");
  const current = await page.textContent("nav.languages a[aria-current]");
  check(current.trim() === "Deutsch", `the current language is marked (${current})`);

  // The link changes the language and the choice holds on the next page.
  await page.click("nav.languages a[hreflang=fr]");
  await page.waitForURL(/lang=fr/);
  await auditIn(page, "fr", "home-fr");
  await page.goto(env.base + "/requests/new?jurisdiction=eu");
  await auditIn(page, "fr", "request-form-fr");
  check((await page.textContent("h1")).includes("demande"), "the form's heading is French");

  // Spanish, on the form itself: the link keeps the place chosen.
  await page.click("nav.languages a[hreflang=es]");
  await page.waitForURL(/jurisdiction=eu.*lang=es/);
  await auditIn(page, "es", "request-form-es");
  // A form sent with mistakes answers in the same language.
  await page.check("#agent-no");
  await page.click("form[action='/requests'] button[type=submit]");
  await page.waitForSelector(".error-summary, [role=alert]");
  await auditIn(page, "es", "request-form-errors-es");

  // Back to English from any page.
  await page.click("nav.languages a[hreflang=en]");
  await auditIn(page, "en", "after-errors-en");
  await context.close();
}
