// Headless Chromium (the system's own, no browser download) and the checks every page
// gets: an axe-core audit at WCAG 2.1 AA, and on phone width no sideways scrolling.

import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 375, height: 740 };

export function fail(message) {
  throw new Error(message);
}

export function check(condition, message) {
  if (!condition) fail(message);
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

/// What the suite found on each page it audited, printed at the end.
export const audited = [];

/// A browser context (its own cookies) at a viewport, with the checks wired in.
export async function newPage(browser, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  return page;
}

/// Runs axe-core in the page (evaluated over the DevTools protocol, so the portal's CSP,
/// which forbids inline script, does not have to be loosened) and fails on any violation.
export async function audit(page, name) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags } }),
    WCAG_TAGS,
  );
  const viewport = page.viewportSize();
  audited.push({ name, width: viewport.width, violations: result.violations.length });
  if (result.violations.length > 0) {
    const lines = result.violations.map(
      (v) =>
        `  - ${v.id} (${v.impact}): ${v.help}\n` +
        v.nodes
          .slice(0, 5)
          .map((n) => `      ${n.target.join(" ")}: ${n.failureSummary.replace(/\n/g, " ")}`)
          .join("\n"),
    );
    fail(`axe: ${result.violations.length} violation(s) on ${name} (${page.url()}):\n${lines.join("\n")}`);
  }
  if (viewport.width <= PHONE.width) await noSidewaysScroll(page, name);
}

export async function noSidewaysScroll(page, name) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  check(scroll <= width, `${name} scrolls sideways at ${width} px (scrollWidth ${scroll})`);
}

/// The pages whose screenshots are kept (docs/screenshots, linked from the README).
const MAIN_PAGES = new Set([
  "home",
  "request-form",
  "request-form-errors",
  "request-form-typo",
  "change-address",
  "opt-out",
  "submitted",
  "status",
  "download",
  "confirm-agent",
  "not-found",
  "staff-queue",
  "staff-queue-closed",
  "staff-request",
  "staff-templates",
  "staff-audit",
  "staff-metrics",
  "status-lost",
  "staff-error",
  "staff-refusal-preview",
  "status-partial",
  "status-info-asked",
  "withdraw-confirm",
]);

/// Saves a screenshot of a main page into the screenshots folder, when the run has one.
export async function screenshot(page, name) {
  const dir = process.env.SCREENSHOTS_DIR;
  if (!dir || !MAIN_PAGES.has(name)) return;
  mkdirSync(dir, { recursive: true });
  const { width } = page.viewportSize();
  const kind = width <= PHONE.width ? "phone" : "desktop";
  // The whole page, cut at 1800 px so the files stay small.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.screenshot({
    path: join(dir, `${name}-${kind}.png`),
    fullPage: true,
    clip: { x: 0, y: 0, width, height: Math.min(height, 1800) },
  });
}

/// Presses Tab until the focused element matches `selector`; fails after `max` presses.
/// Also checks the focused element shows a visible focus indicator.
export async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const found = await page.evaluate((sel) => {
      const el = document.activeElement;
      return !!el && el !== document.body && el.matches(sel);
    }, selector);
    if (found) {
      await assertFocusVisible(page, selector);
      return;
    }
  }
  fail(`Tab never reached ${selector} on ${page.url()}`);
}

export async function assertFocusVisible(page, what) {
  const style = await page.evaluate(() => {
    const cs = getComputedStyle(document.activeElement);
    return { outline: cs.outlineStyle, width: parseFloat(cs.outlineWidth), shadow: cs.boxShadow };
  });
  check(
    (style.outline !== "none" && style.width >= 2) || style.shadow !== "none",
    `no visible focus indicator on ${what} (${JSON.stringify(style)})`,
  );
}

export async function expectText(page, text) {
  const body = await page.textContent("body");
  check(body.includes(text), `expected "${text}" on ${page.url()}`);
}

/// Runs one named flow and records how long it took.
export async function flow(name, timings, body) {
  const started = Date.now();
  await body();
  timings.push({ name, ms: Date.now() - started });
  console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
