// A consumer files each kind California's law gives (access, deletion, correction,
// opt-out), follows the email link and sees the status. Access and correction run at
// desktop width, deletion and opt-out on a phone, so every consumer page is seen at both.

import { audit, check, DESKTOP, expectText, newPage, PHONE, screenshot } from "../lib/browser.mjs";
import { linkFromEmail } from "../lib/mail.mjs";

const KINDS = [
  { kind: "access", viewport: DESKTOP, shots: true },
  { kind: "deletion", viewport: PHONE, shots: true },
  { kind: "correction", viewport: DESKTOP, shots: false },
  { kind: "opt_out", viewport: PHONE, shots: false },
];

async function visit(page, name, shots) {
  await audit(page, name);
  if (shots) await screenshot(page, name);
}

/// Files one request from the home page on; returns its reference and status path.
async function fileOne(browser, env, { kind, viewport, shots }) {
  const email = `${kind.replace("_", "-")}@consumer.example`;
  const page = await newPage(browser, viewport);
  await page.goto(env.base + "/");
  await visit(page, "home", shots);
  await page.click("a.button[href='/requests/new']");
  await visit(page, "choose-jurisdiction", shots);
  await page.check("#jurisdiction-california");
  await page.click("form button[type=submit]");
  await page.waitForSelector("#kind-access");
  await visit(page, "request-form", shots);

  if (kind === "access") {
    // Sending the form empty shows the errors, announced and linked to their fields.
    await page.click("form[action='/requests'] button[type=submit]");
    await page.waitForSelector(".error-summary[role=alert]");
    check(
      (await page.getAttribute("#email", "aria-invalid")) === "true",
      "the email field is marked invalid",
    );
    const described = (await page.getAttribute("#email", "aria-describedby")) || "";
    check(described.includes("email-error"), "the email field points at its error");
    await visit(page, "request-form-errors", shots);
  }

  await page.check(`#kind-${kind}`);
  await page.fill("#name", "Jane Doe");
  await page.fill("#email", email);
  if (kind === "correction") {
    await page.fill("#correction_current", "My surname is spelt Do");
    await page.fill("#correction_requested", "Doe");
  }
  await page.click("form[action='/requests'] button[type=submit]");
  await page.waitForSelector(".panel .reference");
  const reference = (await page.textContent(".panel .reference")).trim();
  await visit(page, kind === "opt_out" ? "submitted-opt-out" : "submitted", shots);

  let status;
  if (kind === "opt_out") {
    // An opt-out needs no confirmation: the email carries the status link at once.
    status = await linkFromEmail(env.mail, email, "/status/");
  } else {
    const verify = await linkFromEmail(env.mail, email, "/verify/");
    await page.goto(env.base + verify);
    await visit(page, "verify-confirm", shots);
    await page.click(`form[action='${verify}'] button[type=submit]`);
    await page.waitForSelector("a[href^='/status/']");
    await visit(page, "verified", shots);
    status = await page.getAttribute("a[href^='/status/']", "href");
  }
  await page.goto(env.base + status);
  await expectText(page, reference);
  await visit(page, "status", shots);
  await page.context().close();
  return { reference, status, email };
}

export async function consumerFilesEachKind(browser, env) {
  const filed = {};
  for (const spec of KINDS) filed[spec.kind] = await fileOne(browser, env, spec);
  return filed;
}

/// A link that was used, or never existed, gets a clear page.
export async function brokenLink(browser, env) {
  for (const viewport of [DESKTOP, PHONE]) {
    const page = await newPage(browser, viewport);
    const response = await page.goto(env.base + "/verify/not-a-real-token");
    check(response.status() < 500, "an unknown link is not a server error");
    await expectText(page, "cannot be used");
    await visit(page, "link-problem", viewport === DESKTOP);
    // An error page (here: a page that does not exist) has the site's layout and words.
    const missing = await page.goto(env.base + "/no-such-page");
    check(missing.status() === 404, "a missing page answers 404");
    await expectText(page, "Page not found");
    await visit(page, "not-found", viewport === DESKTOP);
    await page.context().close();
  }
}

/// The consumer downloads the package staff sent (see staff.mjs).
export async function downloadPackage(browser, env, email, viewport) {
  const page = await newPage(browser, viewport);
  const link = await linkFromEmail(env.mail, email, "/download/");
  await page.goto(env.base + link);
  await visit(page, "download", true);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click(`form[action='${link}'] button[type=submit]`),
  ]);
  const path = await download.path();
  const { readFileSync } = await import("node:fs");
  const bytes = readFileSync(path);
  check(bytes.subarray(0, 2).toString() === "PK", "the download is a ZIP file");
  check(download.suggestedFilename().endsWith(".zip"), "the file is named .zip");
  await page.context().close();
}
