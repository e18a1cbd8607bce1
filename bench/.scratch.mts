import { Parser, parseDocument, LineCounter } from 'yaml';
import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2];
const texts = readdirSync(dir).map(f => readFileSync(dir + '/' + f, 'utf8'));
if (process.env.PLAIN) process.env = { ...process.env };
for (let i = 0; i < 4; i++) {
  let c = process.cpuUsage();
  for (const t of texts) for (const tok of new Parser().parse(t)) {}
  let u = process.cpuUsage(c); console.log('Parser', (u.user + u.system) / 1000);
  c = process.cpuUsage();
  for (const t of texts) parseDocument(t, { lineCounter: new LineCounter(), uniqueKeys: true });
  u = process.cpuUsage(c); console.log('parseDocument', (u.user + u.system) / 1000);
}
