// A fast path for the hot loop of token streams. Within one stream, a server sends the same JSON
// object again and again with only one string changing (the token): `{"id":"x",...,"content":"tok"}`.
// After one payload has been parsed in full, later payloads that have exactly the same text before
// and after that string, and a plain string in between, are the same object with another token —
// so they can be read without JSON.parse. Anything else (escapes, other fields, usage, errors) falls
// back to a full parse, which also keeps malformed payloads detected.

/** Control characters, quotes and backslashes would make the string need escaping or be invalid. */
function isPlainJsonStringBody(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

export class PayloadTemplate {
  private head: string | null = null;
  private tail = "";

  /** `marker` is the field's key with its opening quote, e.g. `"content":"`. */
  constructor(private readonly marker: string) {}

  /** The field's value when `text` has the learned shape, else undefined (parse it in full). */
  match(text: string): string | undefined {
    const head = this.head;
    const tail = this.tail;
    const valueEnd = text.length - tail.length;
    if (head === null || valueEnd < head.length) return undefined;
    // Comparing slices is an order of magnitude faster than startsWith on V8 for these strings.
    if (text.slice(0, head.length) !== head || text.slice(valueEnd) !== tail) return undefined;
    const value = text.slice(head.length, valueEnd);
    return isPlainJsonStringBody(value) ? value : undefined;
  }

  /**
   * Learn the shape from a payload that was parsed in full and whose only meaningful content is
   * `value` in the marked field. Payloads where the field is missing, repeated or escaped are skipped.
   */
  learn(text: string, value: string): void {
    const at = text.indexOf(this.marker);
    if (at === -1 || at !== text.lastIndexOf(this.marker) || !isPlainJsonStringBody(value)) return;
    const valueStart = at + this.marker.length;
    if (text.slice(valueStart, valueStart + value.length + 1) !== `${value}"`) return;
    this.head = text.slice(0, valueStart);
    this.tail = text.slice(valueStart + value.length);
  }
}
