import { mkdir, open, rename, readFile } from 'node:fs/promises';
import { join } from 'node:path';

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
      await writeAtomically(this.dir, FILE, JSON.stringify(this.snapshot()));
    });
    return this.writing;
  }
}

async function writeAtomically(dir: string, file: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const target = join(dir, file);
  const temp = `${target}.${process.pid}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, target);
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
