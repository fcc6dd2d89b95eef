// Drives the demo page (deploy/demo/) in Debian's headless Chromium with playwright-core: logs
// in anonymously, sends a chat message, waits for the reply, takes a screenshot. Prints one
// JSON line: {"jid", "sent", "reply"}; exits non-zero on any failure.
//   node demo_browser.mjs --page URL --text TEXT --reply TEXT --screenshot FILE
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const { values: opts } = parseArgs({
  options: {
    page: { type: "string" },
    text: { type: "string" },
    reply: { type: "string" },
    screenshot: { type: "string" },
    timeout: { type: "string", default: "20000" },
  },
});
const timeout = Number(opts.timeout);
// A fresh, empty profile; no background traffic (the network here is closed).
const profile = mkdtempSync(join(tmpdir(), "boshmux-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  viewport: { width: 900, height: 560 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const problems = [];
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  await page.goto(opts.page, { timeout });
  await page.click("#login");
  await page.locator("#status.online").waitFor({ timeout });
  const jid = (await page.textContent("#status")).replace(/^online as /, "");
  await page.fill("#text", opts.text);
  await page.click("#send");
  const reply = page.locator("#log li.in", { hasText: opts.reply });
  await reply.waitFor({ timeout });
  await page.screenshot({ path: opts.screenshot });
  const sent = await page.textContent("#log li.out");
  console.log(JSON.stringify({ jid, sent, reply: await reply.textContent(), problems }));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
