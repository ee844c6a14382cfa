// Reads the portal's outgoing emails from its `.eml` folder, as a person would read
// their inbox: by recipient, then the link inside.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

function decodeQuotedPrintable(s) {
  const bytes = [];
  const soft = s.replace(/=\r?\n/g, "");
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === "=" && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i], "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

function decodeBody(headers, body) {
  const enc = (headers.match(/^content-transfer-encoding:\s*(\S+)/im) || [])[1] || "7bit";
  switch (enc.toLowerCase()) {
    case "base64":
      return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
    case "quoted-printable":
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}

function splitHead(raw) {
  const at = raw.search(/\r?\n\r?\n/);
  if (at < 0) return [raw, ""];
  return [raw.slice(0, at), raw.slice(at).replace(/^\r?\n\r?\n/, "")];
}

/// One email: recipient, subject and the text of every part, decoded.
export function parseEmail(raw) {
  const [head, body] = splitHead(raw);
  const unfolded = head.replace(/\r?\n[ \t]+/g, " ");
  const to = ((unfolded.match(/^to:\s*(.*)$/im) || [])[1] || "").trim();
  const subject = ((unfolded.match(/^subject:\s*(.*)$/im) || [])[1] || "").trim();
  const boundary = (unfolded.match(/boundary="?([^";\s]+)"?/i) || [])[1];
  let text = "";
  if (boundary) {
    for (const part of body.split(`--${boundary}`)) {
      const [h, b] = splitHead(part.replace(/^\r?\n/, ""));
      if (/content-type:\s*text\//i.test(h)) text += decodeBody(h, b) + "\n";
    }
  } else {
    text = decodeBody(unfolded, body);
  }
  return { to, subject, text };
}

function readAll(dir) {
  let names = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".eml"));
  } catch {
    return [];
  }
  return names.map((n) => parseEmail(readFileSync(join(dir, n), "utf8")));
}

/// Waits for the one email to `to` whose text holds a link starting with `prefix`
/// (e.g. "/verify/"), and returns that link's path.
export async function linkFromEmail(dir, to, prefix, { exclude = [] } = {}) {
  const deadline = Date.now() + 20000;
  const pattern = new RegExp(`${prefix.replace(/[/]/g, "\\/")}[A-Za-z0-9_-]+`);
  for (;;) {
    for (const mail of readAll(dir)) {
      if (!mail.to.includes(to)) continue;
      const m = mail.text.match(pattern);
      if (m && !exclude.includes(m[0])) return m[0];
    }
    if (Date.now() > deadline) {
      throw new Error(`no email to ${to} with a ${prefix} link within 20 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
