// The person's side of a worked request: an answer given only in part reads as such on
// the status page (not a green "done"), a question is answered from the status page
// with an uploaded document and the conversation reaches the staff page, and
// withdrawing asks for confirmation on a page of its own.

import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { audit, check, DESKTOP, expectText, newPage, PHONE, screenshot } from "../lib/browser.mjs";
import { linkFromEmail } from "../lib/mail.mjs";
import { NEW_PASSWORD } from "./staff.mjs";

const PDF =
  "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// Audits (and keeps screenshots of) the page at desktop and phone width.
async function bothWidths(page, name) {
  for (const viewport of [DESKTOP, PHONE]) {
    await page.setViewportSize(viewport);
    await audit(page, name);
    await screenshot(page, name);
  }
  await page.setViewportSize(DESKTOP);
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

function actionButton(action) {
  return `form:has(input[name=action][value=${action}]) button[type=submit]`;
}

/// Files a request for `email` in `place` and confirms it; returns its status path and reference.
async function fileAndConfirm(browser, env, place, kind, email) {
  const page = await newPage(browser, DESKTOP);
  await page.goto(`${env.base}/requests/new?jurisdiction=${place}`);
  await page.check(`#kind-${kind}`);
  await page.fill("#name", "Sam Person");
  await page.fill("#email", email);
  await page.click("form[action='/requests'] button[type=submit]");
  await page.waitForSelector(".panel .reference");
  const reference = (await page.textContent(".panel .reference")).trim();
  const verify = await linkFromEmail(env.mail, email, "/verify/");
  await page.goto(env.base + verify);
  await page.click(`form[action='${verify}'] button[type=submit]`);
  await page.waitForSelector("a[href^='/status/']");
  const status = await page.getAttribute("a[href^='/status/']", "href");
  await page.context().close();
  return { reference, status };
}

async function staffLogin(browser, env) {
  const page = await newPage(browser, DESKTOP);
  await page.goto(env.base + "/staff/login");
  await page.fill("#email", env.adminEmail);
  await page.fill("#password", NEW_PASSWORD);
  await page.click("form button[type=submit]");
  await page.waitForURL((u) => u.pathname === "/staff");
  return page;
}

async function openRequest(page, env, reference) {
  await page.goto(env.base + "/staff?q=" + encodeURIComponent(reference));
  await page.click(`a:text-is("${reference}")`);
  await page.waitForSelector("h1 .reference");
}

export async function conversationAndTruth(browser, env, filed) {
  const staff = await staffLogin(browser, env);

  // An answer in part: its own badge and words, the explanation, and where to turn.
  await openRequest(staff, env, filed.deletion.reference);
  await staff.selectOption("#method", "data_points");
  for (const point of ["name", "account_id", "postal_address"]) await staff.check(`#pt-${point}`);
  await staff.check("#declaration");
  await submit(staff, actionButton("verify"));
  await staff.fill("#fulfil-message", "We deleted your account and marketing data. Your invoices stay for seven years under tax law.");
  await staff.check("#in_part");
  await submit(staff, actionButton("fulfil"));
  // The notice is read before it is sent.
  await submit(staff, "form:has(input[name=confirmed]) button[type=submit]");
  const person = await newPage(browser, DESKTOP);
  await person.goto(env.base + filed.deletion.status);
  await expectText(person, "Completed in part");
  await expectText(person, "Your invoices stay for seven years");
  check((await person.locator(".status-badge.status-fulfilled_in_part").count()) === 1, "the in-part badge");
  check(!(await person.textContent("main")).includes("Done: your request"), "not a plain done");
  await bothWidths(person, "status-partial");

  // A question, answered from the status page with a document.
  const eu = await fileAndConfirm(browser, env, "eu", "access", "asked@consumer.example");
  await openRequest(staff, env, eu.reference);
  await staff.fill("#info-message", "Which customer number is yours? A photo of an invoice is enough.");
  await submit(staff, actionButton("request_info"));
  await person.goto(env.base + eu.status);
  await expectText(person, "Which customer number is yours?");
  await expectText(person, "is paused");
  await bothWidths(person, "status-info-asked");
  const file = join(mkdtempSync(join(tmpdir(), "dsar-answer-")), "invoice.pdf");
  writeFileSync(file, PDF);
  await person.fill("#body", "It is C-1234; the invoice is attached.");
  await person.setInputFiles("#document", file);
  await submit(person, "form[action$='/messages'] button[type=submit]");
  await expectText(person, "We received your message.");
  check((await person.locator("#question-heading").count()) === 0, "the question is answered");

  // Staff see the answer and its document, and write back.
  await openRequest(staff, env, eu.reference);
  await expectText(staff, "It is C-1234; the invoice is attached.");
  check((await staff.locator("#conversation ~ div a[href*='/documents/']").count()) === 1, "the document is linked");
  await staff.fill("#message-body", "Thank you, we found your account.");
  await submit(staff, "form[action$='/messages'] button[type=submit]");
  await audit(staff, "staff-request-conversation");
  await person.goto(env.base + eu.status);
  await expectText(person, "Thank you, we found your account.");
  await audit(person, "status-conversation");

  // Withdrawing opens a page of its own; keeping the request changes nothing.
  await person.goto(env.base + filed.correction.status);
  await person.click(`a[href$='/withdraw']`);
  await person.waitForURL("**/withdraw");
  await bothWidths(person, "withdraw-confirm");
  await person.click("a:text-is('No, keep my request')");
  await person.waitForURL((u) => !u.pathname.endsWith("/withdraw"));
  check((await person.locator(".status-badge.status-withdrawn").count()) === 0, "kept");
  await person.click(`a[href$='/withdraw']`);
  await person.waitForURL("**/withdraw");
  await submit(person, "form[action$='/withdraw'] button[type=submit]");
  check((await person.locator(".status-badge.status-withdrawn").count()) === 1, "withdrawn after confirming");
  await person.context().close();
  await staff.context().close();
}
