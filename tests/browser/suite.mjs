// The browser suite: every flow against one running portal, in one headless Chromium.
//
//   node tests/browser/suite.mjs <base-url> <mail-dir> <admin-email> <admin-one-time-password>
//        [<drp-confirmation-path> <its-person's-email>]
//
// SCREENSHOTS_DIR, when set, receives PNGs of the main pages at desktop and phone width.
// Exits 0 when every flow passed and every audited page had no axe violation.

import { audited, flow, launch } from "./lib/browser.mjs";
import { agentFilesWithUpload } from "./flows/agent.mjs";
import { brokenLink, consumerFilesEachKind } from "./flows/consumer.mjs";
import { conversationAndTruth } from "./flows/conversation.mjs";
import { drpConfirmation } from "./flows/drp.mjs";
import { agentChoiceAndErrorFocus, oneScreenOptOut, typoAndAddressChange } from "./flows/intake.mjs";
import { keyboardOnly } from "./flows/keyboard.mjs";
import { languagesChosenAndChanged } from "./flows/languages.mjs";
import { linksThatOutliveAClick } from "./flows/links.mjs";
import { queueTools } from "./flows/queue.mjs";
import { staffWorkToClosure } from "./flows/staff.mjs";
import { teamTools } from "./flows/tools.mjs";
import { staffRefuseWithPreview } from "./flows/decide.mjs";

const [base, mail, adminEmail, adminPassword, drpConfirm, drpEmail] = process.argv.slice(2);
if (!base || !mail || !adminEmail || !adminPassword) {
  console.error("usage: suite.mjs <base-url> <mail-dir> <admin-email> <admin-password>");
  process.exit(2);
}
const env = { base, mail, adminEmail, adminPassword, drpConfirm, drpEmail };
const timings = [];
const started = Date.now();
const browser = await launch();
let code = 0;
try {
  let filed;
  let agent;
  await flow("consumer files each kind and follows the email link", timings, async () => {
    filed = await consumerFilesEachKind(browser, env);
  });
  await flow("a used or unknown link, or a missing page, gets a clear page", timings, () => brokenLink(browser, env));
  await flow("keyboard alone completes the consumer flow", timings, () => keyboardOnly(browser, env));
  await flow("a second click on a used confirmation link; a fresh status link by email; a staff error page", timings, () =>
    linksThatOutliveAClick(browser, env),
  );
  await flow("an agent files with an upload; the person confirms", timings, async () => {
    agent = await agentFilesWithUpload(browser, env);
  });
  await flow("staff log in, filter, work a request to closure; the package downloads", timings, () =>
    staffWorkToClosure(browser, env, filed, agent.reference),
  );
  await flow("an admin saves a reply and uses it; the audit log filters; metrics chart", timings, () =>
    teamTools(browser, env, filed),
  );
  await flow("staff find a closed request, assign two at once, export the queue as CSV", timings, () =>
    queueTools(browser, env, filed),
  );
  await flow("an answer in part, a question answered with an upload, a confirmed withdrawal", timings, () =>
    conversationAndTruth(browser, env, filed),
  );
  await flow("staff refuse after reading the exact notice; back to edit keeps the text", timings, () =>
    staffRefuseWithPreview(browser, env, filed),
  );
  if (drpConfirm) {
    await flow("a DRP agent's confirmation page sends the person a link that works", timings, () =>
      drpConfirmation(browser, env),
    );
  }
  await flow("a mistyped address is asked about, then changed after sending", timings, () =>
    typoAndAddressChange(browser, env),
  );
  await flow("the form asks who it is for; the error summary takes the focus", timings, () =>
    agentChoiceAndErrorFocus(browser, env),
  );
  await flow("opting out is one screen, and GPC is honoured", timings, () => oneScreenOptOut(browser, env));
  await flow("the browser's language chooses the pages; a link changes it; each language passes axe", timings, () =>
    languagesChosenAndChanged(browser, env),
  );
} catch (e) {
  console.error(`FAIL ${e.stack || e}`);
  // Where each open page stood, to see what the browser saw.
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      const text = await page.textContent("main").catch(() => "(no main)");
      console.error(`  open page ${page.url()}: ${(text || "").replace(/\s+/g, " ").slice(0, 600)}`);
    }
  }
  code = 1;
} finally {
  await browser.close();
}
const pages = new Set(audited.map((a) => `${a.name}@${a.width}`));
console.log(
  `axe (wcag2a, wcag2aa, wcag21a, wcag21aa): ${audited.length} audits of ${pages.size} page/width pairs, ` +
    `${audited.reduce((n, a) => n + a.violations, 0)} violations`,
);
console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);
