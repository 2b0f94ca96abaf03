// The chart page as one self-contained HTML document: styles, uPlot, our client script and the page
// data are all inline, so the file opens anywhere without a network. Everything inlined is escaped
// so that no report string can close a <script> or <style> element early.
import { pageAssets } from "./assets.js";
import type { PageData } from "./model.js";

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** JSON safe inside <script type="application/json">: '<' and the JS line separators become escapes. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Code and CSS cannot contain a closing tag of their element; `<\/` means the same inside JS strings and regexes. */
function inlineSafe(text: string, tag: "script" | "style"): string {
  return text.replace(new RegExp(`</(${tag})`, "gi"), "<\\/$1");
}

const STYLE = `
:root { --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --card: #f9fafb; --good: #15803d; --bad: #b91c1c; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
header { padding: 16px 24px; border-bottom: 1px solid var(--line); }
header h1 { margin: 0; font-size: 20px; }
#facts { margin: 4px 0 0; color: var(--muted); white-space: pre-line; }
#status { display: inline-block; margin-left: 8px; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 500; vertical-align: middle; }
#status.live { background: #dcfce7; color: var(--good); }
#status.finished { background: #e5e7eb; color: var(--muted); }
main { padding: 16px 24px 40px; max-width: 1500px; }
#cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.card .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .base { color: var(--muted); font-size: 12px; }
.card.better .value { color: var(--good); }
.card.worse .value { color: var(--bad); }
#charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 18px; margin-top: 18px; }
.chart { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; min-width: 0; }
.chart h2, #thresholds h2, .run-tables h2 { font-size: 15px; margin: 0; }
.chart .note { margin: 2px 0 8px; color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; margin: 6px 0 14px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
h3 { font-size: 13px; margin: 16px 0 0; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
#thresholds { margin-top: 18px; }
.pass { color: var(--good); font-weight: 600; }
.fail { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
#tables { margin-top: 18px; display: flex; flex-wrap: wrap; gap: 0 48px; }
`;

export function renderPage(data: PageData): string {
  const assets = pageAssets();
  const title = escapeHtml(data.title);
  const status = data.mode === "live" ? `<span id="status" class="live">live · connecting</span>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tokenstorm">
<title>${title}</title>
<style>${inlineSafe(assets.uplotStyle, "style")}</style>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${title}${status}</h1><p id="facts"></p></header>
<main>
<div id="cards"></div>
<div id="thresholds"></div>
<div id="charts"></div>
<div id="tables"></div>
</main>
<script type="application/json" id="tokenstorm-data">${jsonForScript(data)}</script>
<script>${inlineSafe(assets.uplotScript, "script")}</script>
<script>${inlineSafe(assets.clientScript, "script")}</script>
</body>
</html>
`;
}
