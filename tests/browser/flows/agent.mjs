// An authorized agent files for someone with a signed permission (a small, valid PDF
// chosen in the file input), confirms their own address, and the person confirms
// that the agent may act for them.

import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { audit, check, DESKTOP, expectText, newPage, screenshot } from "../lib/browser.mjs";
import { linkFromEmail } from "../lib/mail.mjs";

const PDF =
  "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

export async function agentFilesWithUpload(browser, env) {
  const consumer = "represented@consumer.example";
  const agent = "agent@agency.example";
  const file = join(mkdtempSync(join(tmpdir(), "dsar-agent-")), "permission.pdf");
  writeFileSync(file, PDF);

  const page = await newPage(browser, DESKTOP);
  await page.goto(env.base + "/requests/new?jurisdiction=california");
  await page.check("#kind-access");
  await page.fill("#name", "Rep Resented");
  await page.fill("#email", consumer);
  await page.check("#agent-yes");
  await page.fill("#agent_name", "Alex Agent");
  await page.fill("#agent_email", agent);
  await page.fill("#agent_organisation", "Agency Ltd");
  await page.check("#agent_authority-signed_permission");
  await page.setInputFiles("#agent_document", file);
  await audit(page, "request-form-agent");
  await screenshot(page, "request-form-agent");
  await page.click("form[action='/requests'] button[type=submit]");
  await page.waitForSelector(".panel .reference");
  const reference = (await page.textContent(".panel .reference")).trim();
  await audit(page, "submitted-agent");

  // The agent confirms their own address first.
  const verify = await linkFromEmail(env.mail, agent, "/verify/");
  await page.goto(env.base + verify);
  await page.click(`form[action='${verify}'] button[type=submit]`);
  await page.waitForSelector("a[href^='/status/']");
  await expectText(page, "asked them to confirm");
  await audit(page, "verified-agent");

  // Then the person is asked, and says yes.
  const confirm = await linkFromEmail(env.mail, consumer, "/confirm-agent/");
  await page.goto(env.base + confirm);
  await expectText(page, "Alex Agent");
  await audit(page, "confirm-agent");
  await screenshot(page, "confirm-agent");
  await page.click("button[name=decision][value=confirm]");
  await page.waitForSelector("h1");
  await expectText(page, reference);
  await audit(page, "agent-answered");
  check(page.url().startsWith(env.base), "stayed on the portal");
  await page.context().close();
  return { reference };
}
