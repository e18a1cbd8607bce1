// Preloaded (`node --import`) into a benchmarked child process: as the child exits, it writes its
// own CPU time (user + system, ms) to fd 3 for the parent to read. The parent cannot measure it:
// process.cpuUsage is its own, and a spawn's wall time counts whatever else the machine does.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const { userCPUTime, systemCPUTime } = process.resourceUsage();
  writeSync(3, String((userCPUTime + systemCPUTime) / 1000));
});
