import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockError, StateStore, newStateDoc, openState, type LockInfo, type StateDoc } from '../src/state/index.js';
import type { StateChange } from '../src/state/types.js';
import { LocalStateBackend } from '../src/state/local.js';
import { PostgresStateBackend } from '../src/state/postgres.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vertexctl-state-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function holder(command: string, extra: Partial<LockInfo> = {}): Omit<LockInfo, 'id'> {
  return { who: 'tester', host: hostname(), pid: process.pid, command, created: new Date().toISOString(), ...extra };
}

function bigDoc(serial: number): StateDoc {
  const doc = newStateDoc('big', 'dev');
  doc.lineage = 'one-state-many-versions';
  doc.serial = serial;
  for (let i = 0; i < 2000; i++) {
    doc.resources[`run-${i}`] = { type: 'google.aiplatform.runs', name: `projects/p/locations/l/x/${i}`, id: String(i), props: { displayName: 'x'.repeat(50) }, outputs: {} };
  }
  return doc;
}

describe('local state backend', () => {
  it('keeps <stack>[.<env>].json with mode 0600 and reads back what it wrote', async () => {
    const plain = openState(dir, 'team');
    const withEnv = openState(dir, 'team', 'prd');
    expect(await plain.read()).toBeNull();
    const doc = newStateDoc('team', 'prd');
    doc.serial = 3;
    await withEnv.write(doc);
    expect(withEnv.location).toBe(join(dir, 'team.prd.json'));
    expect(statSync(join(dir, 'team.prd.json')).mode & 0o777).toBe(0o600);
    expect(await withEnv.read()).toEqual(doc);
    expect(await plain.read()).toBeNull();
    expect(readdirSync(dir)).toEqual(['team.prd.json']);
  });

  it('never exposes a half-written file to a concurrent reader', async () => {
    const backend = openState(dir, 'big', 'dev');
    await backend.write(bigDoc(0));
    let writing = true;
    const seen: number[] = [];
    const reader = (async () => {
      while (writing) {
        // Parsing fails on a partial file; a torn write would surface here.
        const doc = JSON.parse(readFileSync(join(dir, 'big.dev.json'), 'utf8')) as StateDoc;
        expect(Object.keys(doc.resources)).toHaveLength(2000);
        seen.push(doc.serial);
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let s = 1; s <= 30; s++) await backend.write(bigDoc(s));
    writing = false;
    await reader;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(readdirSync(dir)).toEqual(['big.dev.json']);
  });

  it('writes compact JSON and reads the indented documents of earlier versions, with their journal', async () => {
    const doc = bigDoc(4);
    doc.stack = 'team';
    delete doc.env;
    writeFileSync(join(dir, 'team.json'), `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
    const change: StateChange = { lineage: doc.lineage, serial: 5, set: { extra: { type: 'google.aiplatform.runs', name: 'n', id: 'n', props: {}, outputs: {} } }, removed: ['run-0'] };
    writeFileSync(join(dir, 'team.json.journal'), `${JSON.stringify(change)}\n`);
    const store = await StateStore.open(openState(dir, 'team'), 'team');
    expect(store.doc.serial).toBe(5);
    expect(store.doc.resources.extra.name).toBe('n');
    expect(store.doc.resources['run-0']).toBeUndefined();
    await store.update((d) => {
      d.resources.more = { type: 'google.aiplatform.runs', name: 'm', id: 'm', props: {}, outputs: {} };
    });
    await store.flush();
    const text = readFileSync(join(dir, 'team.json'), 'utf8');
    expect(text.split('\n')).toEqual([JSON.stringify(store.doc), '']);
    expect(readdirSync(dir)).not.toContain('team.json.journal');
  });

  it('refuses a state file of a newer format and names the file', async () => {
    writeFileSync(join(dir, 'team.json'), JSON.stringify({ ...newStateDoc('team'), formatVersion: 99 }));
    await expect(openState(dir, 'team').read()).rejects.toThrow(/team\.json: state format version 99 is newer/);
  });

  it('picks the backend by the --state value and never shows a password', () => {
    expect(openState(dir, 'team')).toBeInstanceOf(LocalStateBackend);
    const pg = openState('postgres://ci:s3cret@db.internal:6432/infra?schema=vision', 'team', 'prd');
    expect(pg).toBeInstanceOf(PostgresStateBackend);
    expect(pg.location).toBe('postgres://ci@db.internal:6432/infra?schema=vision (stack team, env prd)');
    expect(() => openState('postgres://db/infra?schema=Bad-Name', 'team')).toThrow(/schema "Bad-Name" is not a plain PostgreSQL name/);
  });

  it('says in one line, without the password, that PostgreSQL cannot be reached', async () => {
    const closed = openState('postgres://ci:s3cret@127.0.0.1:1/infra', 'team');
    const err = (await closed.read().catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('postgres://ci@127.0.0.1:1/infra (stack team): cannot connect to PostgreSQL: connect ECONNREFUSED 127.0.0.1:1');
    await closed.close();
  });
});

describe('state lock', () => {
  it('fails a second locker naming the holder, then lets it in once released', async () => {
    const a = openState(dir, 'team');
    const b = openState(dir, 'team');
    const held = await a.lock(holder('vertexctl apply manifests/'), 0);
    expect(statSync(join(dir, 'team.lock')).mode & 0o777).toBe(0o600);
    const err = await b.lock(holder('vertexctl destroy'), 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as LockError).message).toContain(`tester@${hostname()} (pid ${process.pid}, "vertexctl apply manifests/"`);
    expect((err as LockError).message).toContain(`vertexctl force-unlock ${held.id}`);
    expect((err as LockError).holder?.id).toBe(held.id);
    await a.unlock(held.id);
    const second = await b.lock(holder('vertexctl destroy'), 0);
    expect(second.id).not.toBe(held.id);
  });

  it('waits up to the timeout for the holder to finish', async () => {
    const a = openState(dir, 'team');
    const held = await a.lock(holder('first'), 0);
    setTimeout(() => void a.unlock(held.id), 150);
    const got = await openState(dir, 'team').lock(holder('second'), 5000);
    expect(got.command).toBe('second');
  });

  it('gives the lock to exactly one of many concurrent lockers', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => openState(dir, 'team').lock(holder(`locker ${i}`), 0)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof LockError)).toHaveLength(7);
  });

  it('breaks a lock whose holder process on this host is gone, with a notice', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(join(dir, 'team.lock'), JSON.stringify({ id: 'old', ...holder('crashed apply', { pid: dead }) }));
    const notices: string[] = [];
    const backend = new LocalStateBackend(dir, 'team', undefined, { notice: (l) => notices.push(l) });
    const got = await backend.lock(holder('rerun'), 0);
    expect(got.command).toBe('rerun');
    expect(notices).toEqual([expect.stringMatching(/^Broke a stale state lock: its holder .*pid \d+, "crashed apply".* is no longer running\.$/)]);
  });

  it('never breaks the lock of another host; force-unlock with its id does', async () => {
    writeFileSync(join(dir, 'team.lock'), JSON.stringify({ id: 'remote-1', ...holder('ci apply', { host: 'ci-runner-7', pid: 1 }) }));
    const backend = openState(dir, 'team');
    await expect(backend.lock(holder('local'), 200)).rejects.toThrow(/locked by tester@ci-runner-7 .* after waiting 0s; .*force-unlock remote-1/);
    await expect(backend.forceUnlock('wrong')).rejects.toThrow(/lock id wrong does not match the current lock: tester@ci-runner-7/);
    await backend.forceUnlock('remote-1');
    await expect(backend.forceUnlock('remote-1')).rejects.toThrow(/is not locked/);
    expect((await backend.lock(holder('local'), 0)).command).toBe('local');
  });
});

describe('state store', () => {
  it('keeps every change of parallel updates; each resolves once a write holding it is on disk', async () => {
    const backend = openState(dir, 'team');
    const written: StateDoc[] = [];
    const counting = { ...backend, location: backend.location, read: () => backend.read(), write: async (d: StateDoc) => { await backend.write(d); written.push(d); } } as typeof backend;
    const store = await StateStore.open(counting, 'team');
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        await store.update((doc) => {
          doc.resources[`a${i}`] = { type: 'google.aiplatform.runs', name: `n${i}`, id: String(i), props: {}, outputs: {} };
        });
        // Resolved: this change is in a written document.
        expect(written.some((d) => d.resources[`a${i}`])).toBe(true);
      }),
    );
    await store.flush();
    const onDisk = (await backend.read())!;
    expect(Object.keys(onDisk.resources)).toHaveLength(50);
    // The serial counts writes; changes that arrive during a write share the next one.
    expect(onDisk.serial).toBe(written.length);
    expect(written.map((d) => d.serial)).toEqual(written.map((_, i) => i + 1));
    expect(written.length).toBeLessThan(50);
    const reopened = await StateStore.open(backend, 'team');
    expect(reopened.doc.lineage).toBe(store.doc.lineage);
  });
});

describe('state journal (local state during an apply)', () => {
  const run = (i: number) => ({ type: 'google.aiplatform.runs', name: `projects/p/locations/l/tensorboards/1/experiments/e/runs/r${i}`, id: `r${i}`, props: { displayName: `run ${i}` }, outputs: {} });

  /** A local backend that counts whole writes and appends. */
  function counted() {
    const backend = openState(dir, 'team') as LocalStateBackend;
    const seen = { whole: 0, appended: 0 };
    const write = backend.write.bind(backend);
    const append = backend.appendChange.bind(backend);
    backend.write = async (d, o) => {
      await write(d, o);
      seen.whole++;
    };
    backend.appendChange = async (c) => {
      const ok = await append(c);
      if (ok) seen.appended++;
      return ok;
    };
    return { backend, seen };
  }

  /** A stored state holding `a`, opened again by a run that journals (as apply does). */
  async function journalingStore(): Promise<StateStore> {
    const { backend } = counted();
    const first = await StateStore.open(backend, 'team');
    await first.update((doc) => {
      doc.resources.a = run(1);
    });
    const store = await StateStore.open(backend, 'team');
    store.journal();
    return store;
  }

  it('appends each write and writes the whole document once at the end; every read sees the appended changes', async () => {
    const { backend, seen } = counted();
    const first = await StateStore.open(backend, 'team');
    await first.update((doc) => {
      for (let i = 0; i < 500; i++) doc.resources[`run-${i}`] = run(i);
    });
    expect(seen).toEqual({ whole: 1, appended: 0 });

    const store = await StateStore.open(backend, 'team');
    store.journal();
    for (let i = 0; i < 5; i++) {
      await store.update((doc) => {
        doc.resources[`run-${i}`] = { ...run(i), props: { displayName: `renamed ${i}` } };
        delete doc.resources[`run-${100 + i}`];
      });
    }
    expect(seen).toEqual({ whole: 1, appended: 5 });
    // Another reader (plan in another shell, or the next run after kill -9) sees document + journal.
    const journal = join(dir, 'team.json.journal');
    expect(readFileSync(journal, 'utf8').trim().split('\n')).toHaveLength(5);
    expect(statSync(journal).mode & 0o777).toBe(0o600);
    const meanwhile = (await openState(dir, 'team').read())!;
    expect(meanwhile.serial).toBe(6);
    expect(meanwhile.resources['run-3'].props.displayName).toBe('renamed 3');
    expect(meanwhile.resources['run-103']).toBeUndefined();
    expect(Object.keys(meanwhile.resources)).toHaveLength(495);
    // An entry once written is frozen: changes replace entries, they never edit them in place.
    expect(() => {
      (store.doc.resources['run-1'].props as Record<string, unknown>).displayName = 'edited';
    }).toThrow(TypeError);

    await store.flush();
    expect(seen).toEqual({ whole: 2, appended: 5 });
    expect(readdirSync(dir).filter((f) => f.includes('journal'))).toEqual([]);
    const onDisk = JSON.parse(readFileSync(join(dir, 'team.json'), 'utf8')) as StateDoc;
    expect(onDisk.serial).toBe(7);
    expect(onDisk.resources['run-4'].props.displayName).toBe('renamed 4');
    expect(Object.keys(onDisk.resources)).toHaveLength(495);
  });

  it('a stack created in one apply is journaled to the end however small its document; rewriting few entries again and again is compacted', async () => {
    const { backend, seen } = counted();
    const first = await StateStore.open(backend, 'team');
    await first.update((doc) => {
      doc.resources.a = run(0);
    });
    const store = await StateStore.open(backend, 'team');
    store.journal();
    // As a create of many runs writes them: every intent in one write, then the results in a few.
    const big = (i: number, pending: boolean) => ({ ...run(i), props: { displayName: `run ${i}`, note: 'x'.repeat(200) }, ...(pending && { pending: { action: 'create' as const, startedAt: 'now' } }) });
    await store.update((doc) => {
      for (let i = 1; i <= 400; i++) doc.resources[`run-${i}`] = big(i, true);
    });
    for (let b = 0; b < 4; b++) {
      await store.update((doc) => {
        for (let i = b * 100 + 1; i <= (b + 1) * 100; i++) doc.resources[`run-${i}`] = big(i, false);
      });
    }
    expect(seen).toEqual({ whole: 1, appended: 5 });
    await store.flush();
    expect(seen).toEqual({ whole: 2, appended: 5 });

    // One entry of a small state rewritten over and over (a job's state recorded while it runs).
    const again = await StateStore.open(backend, 'team');
    again.journal();
    for (let i = 0; i < 60; i++) {
      await again.update((doc) => {
        doc.resources['run-1'] = { ...big(1, false), props: { displayName: `poll ${i}`, note: 'y'.repeat(40_000) } };
      });
    }
    expect(seen.whole).toBeGreaterThan(2);
    expect(statSync(join(dir, 'team.json.journal')).size).toBeLessThan(3 * (statSync(join(dir, 'team.json')).size + 80 * 1024));
    await again.flush();
    expect((await openState(dir, 'team').read())!.resources['run-1'].props.displayName).toBe('poll 59');
  });

  it('put() journals only the addresses it set; a change whose write failed goes with the next write', async () => {
    const store = await journalingStore();
    const backend = store.backend as LocalStateBackend;
    const append = backend.appendChange.bind(backend);
    const lines: StateChange[] = [];
    let fail = true;
    backend.appendChange = async (c) => {
      if (fail) {
        fail = false;
        throw new Error('disk full');
      }
      lines.push(c);
      return append(c);
    };
    await expect(store.put([['b', run(2)]])).rejects.toThrow('disk full');
    await store.put([['c', run(3)]]);
    expect(Object.keys(lines[0].set).sort()).toEqual(['b', 'c']);
    await store.update((doc) => {
      delete doc.resources.a;
    });
    expect(lines[1]).toMatchObject({ set: {}, removed: ['a'] });
    await store.put([['d', run(4)], ['b', store.doc.resources.b]]);
    expect(Object.keys(lines[2].set)).toEqual(['d']);
    // The first failure stays the run's error; what was written is all there.
    await expect(store.flush()).rejects.toThrow('disk full');
    expect(Object.keys((await openState(dir, 'team').read())!.resources).sort()).toEqual(['b', 'c', 'd']);
  });

  it('a last line cut short by a crash is left out; a damaged line before it is refused naming the journal and line', async () => {
    const store = await journalingStore();
    await store.update((doc) => {
      doc.resources.b = run(2);
    });
    const journal = join(dir, 'team.json.journal');
    const good = readFileSync(journal, 'utf8');
    writeFileSync(journal, `${good}{"lineage":"${store.doc.lineage}","serial":3,"set":{"c":`);
    const read = (await openState(dir, 'team').read())!;
    expect(Object.keys(read.resources).sort()).toEqual(['a', 'b']);
    expect(read.serial).toBe(2);

    writeFileSync(journal, `{"lineage":\n${good}`);
    await expect(openState(dir, 'team').read()).rejects.toThrow(/team\.json\.journal:1: not a valid vertexctl state journal line; the files were left as they are/);
    // A line repeated is one already applied; a line that skips a serial means a lost write.
    writeFileSync(journal, `${good}${good}`);
    expect((await openState(dir, 'team').read())!.serial).toBe(2);
    writeFileSync(journal, `${good}${good.replace('"serial":2', '"serial":4')}`);
    await expect(openState(dir, 'team').read()).rejects.toThrow(/team\.json\.journal:2: journal line of serial 4 does not follow serial 2/);
  });

  it('an append is refused when another run wrote meanwhile, as a whole write is', async () => {
    const store = await journalingStore();
    // Another run (a force-unlocked lock) moves the state on.
    const other = await StateStore.open(openState(dir, 'team'), 'team');
    await other.update((doc) => {
      doc.resources.x = run(9);
    });
    await expect(store.update((doc) => {
      doc.resources.b = run(2);
    })).rejects.toThrow(/refused to write serial 2: the stored state is at serial 2/);
  });
});
