import { hostname } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LockError, StateConflictError, StateStore, newStateDoc, openState, type LockInfo, type StateBackend, type StateDoc } from '../src/state/index.js';
import { removeScratchDirs } from './apply.support.js';
import { stateTargets } from './state-targets.support.js';

/**
 * The state-backend contract, one suite run unchanged against every backend: local files,
 * PostgreSQL (a real server) and Cloud Storage (the emulator's JSON API). Only what the contract
 * leaves to the backend (whether older versions are kept) is read from the backend itself.
 */

const targets = stateTargets();
beforeAll(async () => {
  for (const t of targets) await t.start();
}, 120_000);
afterAll(async () => {
  for (const t of targets) await t.stop();
  removeScratchDirs();
});

function holder(command: string): Omit<LockInfo, 'id'> {
  return { who: 'tester', host: hostname(), pid: process.pid, command, created: new Date().toISOString() };
}

function docWith(stack: string, serial: number, addresses: string[], base?: StateDoc): StateDoc {
  const doc = base ? structuredClone(base) : newStateDoc(stack);
  doc.serial = serial;
  doc.resources = Object.fromEntries(
    addresses.map((a, i) => [a, { type: 'google.aiplatform.runs', name: `projects/p/locations/l/tensorboards/1/experiments/e/runs/${a}`, id: String(i), props: { displayName: a }, outputs: {} }]),
  );
  return doc;
}

describe.each(targets)('$name state backend', (target) => {
  let opened: StateBackend[] = [];
  let n = 0;
  /** A stack name of its own per test: the backends outlive single tests. */
  const freshStack = () => `stack-${process.pid}-${++n}`;
  const open = (stack: string, env?: string) => {
    const b = openState(target.spec(), stack, env, target.options());
    opened.push(b);
    return b;
  };
  afterEach(async () => {
    await Promise.all(opened.map((b) => b.close()));
    opened = [];
  });

  it('reads nothing for a new stack, then what was written; environments are apart', async () => {
    const stack = freshStack();
    const plain = open(stack);
    const prd = open(stack, 'prd');
    expect(await plain.read()).toBeNull();
    const doc = docWith(stack, 3, ['a', 'b']);
    doc.env = 'prd';
    await prd.write(doc);
    expect(await prd.read()).toEqual(doc);
    expect(await open(stack, 'prd').read()).toEqual(doc);
    expect(await plain.read()).toBeNull();
    expect(await open(stack, 'dev').read()).toBeNull();
  });

  it('refuses, naming both, a stored document that holds another stack or environment', async () => {
    const stack = freshStack();
    // Written where stack "<stack>" in environment "x" keeps its state, but it says it is stack "<stack>-x".
    const other = docWith(`${stack}-x`, 1, ['a']);
    await open(stack, 'x').write(other);
    await expect(open(stack, 'x').read()).rejects.toThrow(
      new RegExp(`holds the state of stack "${stack}-x" without environment, not of stack "${stack}", environment "x"; refusing to use it`),
    );
  });

  it('refuses a write whose serial is not the stored one + 1, or of another lineage', async () => {
    const stack = freshStack();
    const b = open(stack);
    const first = docWith(stack, 1, ['a']);
    await b.write(first);
    for (const serial of [0, 1, 3]) {
      await expect(b.write(docWith(stack, serial, ['x'], first))).rejects.toThrow(StateConflictError);
    }
    await expect(b.write(docWith(stack, 2, ['x'], first))).resolves.toBeUndefined();
    const other = docWith(stack, 3, ['y']);
    await expect(b.write(other)).rejects.toThrow(/refused to write state of lineage .*another one/);
    // A migration may move the serial forward, never back.
    await expect(b.write(docWith(stack, 2, ['z'], first), { serialMayJump: true })).rejects.toThrow(StateConflictError);
    await b.write(docWith(stack, 9, ['z'], first), { serialMayJump: true });
    expect(await b.read()).toMatchObject({ serial: 9, lineage: first.lineage, resources: { z: { id: '0' } } });
  });

  it('loses no update between two writers that read the same version', async () => {
    const stack = freshStack();
    const setup = open(stack);
    await setup.write(docWith(stack, 1, ['a']));
    const [one, two] = [open(stack), open(stack)];
    const [seenByOne, seenByTwo] = [(await one.read())!, (await two.read())!];
    await one.write(docWith(stack, seenByOne.serial + 1, ['a', 'one'], seenByOne));
    const err = await two.write(docWith(stack, seenByTwo.serial + 1, ['a', 'two'], seenByTwo)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateConflictError);
    expect((err as Error).message).toMatch(/refused to write serial 2: .*another run .*; run plan again$/);
    expect(Object.keys((await open(stack).read())!.resources)).toEqual(['a', 'one']);
  });

  it('fails a second locker naming the holder, then lets it in once released', async () => {
    const stack = freshStack();
    const [a, b] = [open(stack), open(stack)];
    const held = await a.lock(holder('vertexctl apply manifests/'), 0);
    const err = await b.lock(holder('vertexctl destroy'), 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as LockError).message).toContain(`is locked by tester@${hostname()} (pid ${process.pid}, "vertexctl apply manifests/"`);
    expect((err as LockError).message).toContain(`vertexctl force-unlock ${held.id}`);
    expect((err as LockError).holder?.id).toBe(held.id);
    await expect(b.unlock('not-the-id')).rejects.toThrow(LockError);
    await a.unlock(held.id);
    const second = await b.lock(holder('vertexctl destroy'), 0);
    expect(second.id).not.toBe(held.id);
    await b.unlock(second.id);
  });

  it('waits up to --lock-timeout for the holder to finish', async () => {
    const stack = freshStack();
    const a = open(stack);
    const held = await a.lock(holder('first'), 0);
    setTimeout(() => void a.unlock(held.id), 300);
    const started = Date.now();
    const got = await open(stack).lock(holder('second'), 10_000);
    expect(got.command).toBe('second');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await expect(open(stack).lock(holder('third'), 300)).rejects.toThrow(/"second".* after waiting 0s/);
  });

  it('gives the lock to exactly one of many concurrent lockers', async () => {
    const stack = freshStack();
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => open(stack).lock(holder(`locker ${i}`), 0)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof LockError)).toHaveLength(7);
  });

  it('force-unlock needs the lock id, and frees the lock for the next run', async () => {
    const stack = freshStack();
    const a = open(stack);
    const held = await a.lock(holder('gone'), 0);
    const admin = open(stack);
    await expect(admin.forceUnlock('wrong')).rejects.toThrow(/lock id wrong does not match the current lock: tester@/);
    await admin.forceUnlock(held.id);
    await expect(admin.forceUnlock(held.id)).rejects.toThrow(/is not locked/);
    const next = await open(stack).lock(holder('next'), 0);
    expect(next.command).toBe('next');
  });

  it('keeps every version when the backend keeps history, and reads any of them', async () => {
    const stack = freshStack();
    const b = open(stack);
    const first = docWith(stack, 1, ['a']);
    await b.write(first);
    await b.write(docWith(stack, 2, ['a', 'b'], first));
    await b.write(docWith(stack, 3, ['a', 'b', 'c'], first));
    const history = await open(stack).history();
    expect(history.map((v) => [v.serial, v.resources])).toEqual(b.keepsHistory ? [[1, 1], [2, 2], [3, 3]] : [[3, 3]]);
    for (const v of history) {
      expect(v.lineage).toBe(first.lineage);
      expect(Date.parse(v.writtenAt)).toBeGreaterThan(Date.now() - 600_000);
    }
    expect((await b.readVersion(3))?.resources).toHaveProperty('c');
    expect((await b.readVersion(2))?.resources ?? null).toEqual(b.keepsHistory ? docWith(stack, 2, ['a', 'b']).resources : null);
    expect(await b.readVersion(42)).toBeNull();
  });

  it('keeps every change of parallel store updates, one serial per write', async () => {
    const stack = freshStack();
    const b = open(stack);
    const lock = await b.lock(holder('store'), 0);
    const store = await StateStore.open(b, stack);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.update((doc) => {
          doc.resources[`a${i}`] = { type: 'google.aiplatform.runs', name: `n${i}`, id: String(i), props: {}, outputs: {} };
        }),
      ),
    );
    await store.flush();
    const stored = (await open(stack).read())!;
    expect(Object.keys(stored.resources)).toHaveLength(40);
    expect(stored.serial).toBe(store.doc.serial);
    if (b.keepsHistory) expect((await b.history()).map((v) => v.serial)).toEqual(Array.from({ length: stored.serial }, (_, i) => i + 1));
    await b.unlock(lock.id);
  });
});
