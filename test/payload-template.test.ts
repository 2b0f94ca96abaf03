// The payload fast path must read exactly what JSON.parse would, and refuse anything it cannot vouch for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PayloadTemplate } from "../src/protocols/http/payload-template.js";

const chunk = (content: string): string =>
  `{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}]}`;

test("matches nothing before it has learned a shape", () => {
  assert.equal(new PayloadTemplate(`"content":"`).match(chunk(" hello")), undefined);
});

test("reads the token of a payload with the learned shape", () => {
  const template = new PayloadTemplate(`"content":"`);
  template.learn(chunk(" hello"), " hello");
  assert.equal(template.match(chunk(" world")), " world");
  assert.equal(template.match(chunk("")), "");
});

test("falls back for escapes, other fields, usage, and broken JSON", () => {
  const template = new PayloadTemplate(`"content":"`);
  template.learn(chunk(" hello"), " hello");
  for (const text of [
    chunk('say "hi"'),
    chunk("line\nbreak"),
    chunk("back\\slash"),
    chunk(" x").replace('"c1"', '"c2"'),
    chunk(" x").replace("null}]}", 'null}],"usage":{"completion_tokens":3}}'),
    chunk(" x").replace('"index":0', '"index":1'),
    chunk(" x").slice(0, -1),
    `{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" x"}}]}`,
  ]) {
    assert.equal(template.match(text), undefined, text);
  }
});

test("does not learn from payloads where the field is missing, repeated or escaped", () => {
  const template = new PayloadTemplate(`"text":"`);
  template.learn(`{"a":"b"}`, "b");
  template.learn(`{"text":"a","x":{"text":"a"}}`, "a");
  template.learn(`{"text":"a\\"b"}`, 'a"b');
  assert.equal(template.match(`{"text":"z"}`), undefined);
  template.learn(`{"text":"token_0"}`, "token_0");
  assert.equal(template.match(`{"text":"token_1"}`), "token_1");
});
