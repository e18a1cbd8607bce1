import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/write-atomic.js';

const FILE = 'emulator-state.json';

/**
 * Keeps the emulator's state in `DIR/emulator-state.json`: written atomically (temp file, fsync,
 * rename, fsync of the folder) a short while after each change, and at once on close.
 */
export class Persistence {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly dir: string,
    private readonly snapshot: () => unknown,
    private readonly debounceMs = 100,
  ) {}

  async load(): Promise<unknown | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, FILE), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`cannot read emulator state ${join(this.dir, FILE)}: ${(err as Error).message}`);
    }
  }

  changed(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Writes pending changes; resolves when they are on disk. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      await mkdir(this.dir, { recursive: true });
      await writeFileAtomic(join(this.dir, FILE), JSON.stringify(this.snapshot()));
    });
    return this.writing;
  }
}
