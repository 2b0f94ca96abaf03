// Built-in prompt sets (seed 001's short / medium / long). The set name becomes the request type,
// so the report breaks results down by prompt length.
export const PROMPT_SETS: Record<string, readonly string[]> = {
  short: [
    "What is the capital of France?",
    "Name three primary colors.",
    "Translate 'good morning' into Spanish.",
    "What is 17 times 23?",
    "Give me a synonym for 'fast'.",
  ],
  medium: [
    "Explain in a few paragraphs how a load balancer decides where to send a request, and compare round-robin with least-connections.",
    "Summarise the main differences between TCP and UDP, with one example application for each, and say when you would pick either.",
    "Describe how a hash map works internally, including collision handling and what happens when it grows.",
    "Write a short story of about two hundred words about a lighthouse keeper who discovers a message in a bottle.",
  ],
  long: [
    "You are reviewing the architecture of a streaming inference service. Requests arrive over HTTP, are queued by a scheduler, batched onto GPU workers and streamed back token by token over server-sent events through a reverse proxy. Users report that time to first token degrades sharply above two hundred concurrent streams while token throughput keeps rising. Walk through every component on the path, list the queues and buffers a token passes through, explain which of them can add latency before the first token but not between later tokens, and propose measurements that would locate the bottleneck. Then describe three configuration changes you would test, in order, with the metric you expect each to move.",
    "Write a detailed technical design document for a rate limiter shared by many stateless API servers. Cover the algorithms you considered (fixed window, sliding window log, sliding window counter, token bucket, leaky bucket), their memory and accuracy trade-offs, how state is kept in a shared store, what happens when that store is slow or unavailable, how clients are told to back off, and how you would load-test the whole system before launch, including the traffic shapes you would use and the pass criteria.",
  ],
};

export const PROMPT_SET_NAMES = Object.keys(PROMPT_SETS);

/** Deterministic choice of set and prompt for a client's cycle, spreading sets across requests. */
export function pickPrompt(sets: readonly string[], client: number, cycle: number): { type: string; prompt: string } {
  const index = client + cycle * 7919;
  const type = sets[index % sets.length]!;
  const prompts = PROMPT_SETS[type]!;
  return { type, prompt: prompts[(client * 31 + cycle) % prompts.length]! };
}
