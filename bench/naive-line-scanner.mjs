#!/usr/bin/env node
// The yardstick for a machine's speed: "a naive Node line scanner" (about 200 MB/s on
// its reference machine). Lines through readline, counted as From_ lines or header-like lines;
// no rules. bench/lint-mbox.mjs runs it beside lint-mbox to scale the target to this machine.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const lines = createInterface({ input: createReadStream(process.argv[2], { encoding: 'latin1', highWaterMark: 1 << 20 }), crlfDelay: Infinity });
let messages = 0;
let fields = 0;
for await (const line of lines) {
  if (line.startsWith('From ')) messages++;
  else if (line.indexOf(':') > 0) fields++;
}
console.log(messages, fields);
