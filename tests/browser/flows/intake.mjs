// The request form catches mistakes: a mistyped address is asked about and can be
// changed after sending, the form asks first who the request is for, the error summary
// takes the focus in the form's order, and opting out is one screen (GPC honoured).

import { audit, check, DESKTOP, expectText, newPage, PHONE, screenshot } from "../lib/browser.mjs";
import { linkFromEmail } from "../lib/mail.mjs";

/// Audits (and screenshots) the page as it is at desktop and at phone width.
async function bothWidths(page, name) {
  for (const viewport of [DESKTOP, PHONE]) {
    await page.setViewportSize(viewport);
    await audit(page, name);
    await screenshot(page, name);
  }
  await page.setViewportSize(DESKTOP);
}

async function focused(page) {
  return page.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.className));
}

export async function typoAndAddressChange(browser, env) {
  const page = await newPage(browser, DESKTOP);
  await page.goto(env.base + "/requests/new?jurisdiction=california");
  await page.check("#agent-no");
  await page.check("#kind-access");
  await page.fill("#name", "Tia Typo");
  await page.fill("#email", "tia@gmial.con");
  await page.click("form[action='/requests'] button[type=submit]");
  await page.waitForSelector("#email-suggestion");
  check((await focused(page)) === "email-suggestion", "the suggestion takes the focus");
  await expectText(page, "Did you mean tia@gmail.com?");
  await bothWidths(page, "request-form-typo");
  await page.click("button[name=email_choice][value=suggested]");
  await page.waitForSelector(".panel .reference");
  await expectText(page, "tia@gmail.com");

  // It was not Gmail at all: the address of the unconfirmed request is changed.
  await page.click("a[href='/requests/change-address']");
  await page.waitForSelector("form[action='/requests/change-address']");
  await bothWidths(page, "change-address");
  await page.fill("#email", "tia@consumer.example");
  await page.click("form[action='/requests/change-address'] button[type=submit]");
  await page.waitForSelector(".panel .reference");
  await expectText(page, "tia@consumer.example");
  const verify = await linkFromEmail(env.mail, "tia@consumer.example", "/verify/");
  check(verify.startsWith("/verify/"), "a new link goes to the new address");
  await page.context().close();
}

export async function agentChoiceAndErrorFocus(browser, env) {
  const page = await newPage(browser, PHONE);
  await page.goto(env.base + "/requests/new?jurisdiction=california");
  check(!(await page.isVisible("#agent_name")), "no agent section before the choice");
  await page.check("#agent-yes");
  check(await page.isVisible("#agent_name"), "the agent section shows for an agent");
  await page.fill("#agent_name", "Alex Agent");
  await page.check("#agent-no");
  check(!(await page.isVisible("#agent_name")), "the agent section hides for oneself");

  // Sent with nothing else: the summary has the focus, in the form's order, and the
  // agent's name typed under "Myself" is pointed out, not dropped.
  await page.click("form[action='/requests'] button[type=submit]");
  await page.waitForSelector(".error-summary[role=alert]");
  check((await focused(page)) === "error-summary", "the error summary takes the focus");
  const order = await page.$$eval(".error-summary a", (links) => links.map((a) => a.getAttribute("href")));
  check(
    JSON.stringify(order) === JSON.stringify(["#agent", "#kind", "#name", "#email"]),
    `the summary follows the form: ${order}`,
  );
  check(await page.isVisible("#agent_name"), "the agent details stay in view to be fixed");
  check((await page.inputValue("#agent_name")) === "Alex Agent", "what was typed is kept");
  await audit(page, "request-form-agent-error");
  await page.context().close();
}

export async function oneScreenOptOut(browser, env) {
  const page = await newPage(browser, PHONE);
  await page.goto(env.base + "/opt-out");
  for (const absent of ["#agent_name", "#correction_current", "#details", "#kind-access"]) {
    check((await page.$(absent)) === null, `the opt-out page has no ${absent}`);
  }
  await bothWidths(page, "opt-out");
  await page.check("#jurisdiction-california");
  await page.fill("#email", "optout@consumer.example");
  await page.click("form[action='/opt-out'] button[type=submit]");
  await page.waitForSelector(".reference");
  await expectText(page, "Your opt-out is accepted");
  await page.context().close();

  // A browser sending Global Privacy Control is told it is already honoured.
  const context = await browser.newContext({ viewport: PHONE, extraHTTPHeaders: { "Sec-GPC": "1" } });
  const gpc = await context.newPage();
  await gpc.goto(env.base + "/opt-out");
  await expectText(gpc, "you need do nothing more");
  await audit(gpc, "opt-out-gpc");
  await context.close();
}
