import { loadStack } from '../src/manifest/index.js';
const c = process.cpuUsage(); const t = performance.now();
await loadStack(['/tmp/vertexctl-bench-load-Gf0d5R'], { environment: {} });
const u = process.cpuUsage(c); console.log('cold', (u.user + u.system) / 1000, performance.now() - t);
