// Browser side of the chart page: number formatting and a tiny DOM builder. Runs in the page only
// (inlined by assets.ts); it may import types, never values, from Node modules.

/** Milliseconds as people read them: 0.42 ms, 12.3 ms, 250 ms, 2.41 s. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatNumber(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "–";
  return `${(fraction * 100).toFixed(fraction >= 0.9995 || fraction === 0 ? 0 : 2)}%`;
}

/** Relative change from base to new, signed: "+12.5%". */
export function formatChange(base: number | null | undefined, next: number | null | undefined): string {
  if (base === null || base === undefined || next === null || next === undefined || base === 0) return "";
  const change = ((next - base) / Math.abs(base)) * 100;
  return `${change >= 0 ? "+" : ""}${change.toFixed(1)}%`;
}

/** Quantile label for an HDR percentile-plot x value 1/(1-q): 10 -> "p90", 1000 -> "p99.9". */
export function quantileLabel(x: number): string {
  if (x <= 1) return "p0";
  const percentile = 100 * (1 - 1 / x);
  return `p${Number(percentile.toFixed(4)).toString()}`;
}

type Child = Node | string | null | undefined;

/** Build an element; text goes in as text nodes, so report strings can never become markup. */
export function el(tag: string, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

export function table(headers: string[], rows: Child[][], className = ""): HTMLElement {
  return el(
    "table",
    className ? { class: className } : {},
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((cell) => el("td", {}, cell))))),
  );
}
