import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32c } from '../src/kinds/tfevents.js';
import { loadSeries, planPoints, preparePoints, recordedPoints } from '../src/kinds/time-series-data.js';
import { DataSourceError, plainDecimal, readCsvWithParser, readSource, resolveSource, type DataSource } from '../src/kinds/time-series-sources.js';
import { removeScratchDirs, scratchDir } from './apply.support.js';
import { eventFile } from './metric-data.support.js';

/** Data files of metric points: formats, positions of bad data, paths, digests and the step diff. */

afterAll(removeScratchDirs);

function stackDir(files: Record<string, string | Buffer>): { dir: string; manifest: string } {
  const dir = scratchDir('sources');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return { dir, manifest: join(dir, 'stack.yaml') };
}

async function pointsOf(manifest: string, spec: { file: string; tag?: string }) {
  const series = await loadSeries({ source: await resolveSource(spec, manifest) });
  return Array.from({ length: series.size }, (_, i) => series.point(i));
}

async function failure(manifest: string, spec: { file: string; tag?: string }): Promise<DataSourceError> {
  try {
    await loadSeries({ source: await resolveSource(spec, manifest) });
  } catch (err) {
    if (err instanceof DataSourceError) return err;
    throw err;
  }
  throw new Error('expected a DataSourceError');
}

describe('CRC-32C', () => {
  it('gives the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('data files', () => {
  const { dir, manifest } = stackDir({
    'data/ok.csv': 'step,value,wallTime\n1,0.5,2024-05-01T10:00:00Z\n\n2,0.25,\n3,"0.125",1714557600\n',
    'data/swapped.csv': '\uFEFFvalue,step\r\n0.5,1\r\n',
    'data/bad-step.csv': 'step,value\n1,0.5\n2,0.4\nabc,0.3\n',
    'data/bad-value.csv': 'step,value\n1,zero\n',
    'data/bad-header.csv': 'step,loss\n1,0.5\n',
    'data/dup.csv': 'step,value\n1,0.5\n2,0.4\n1,0.5\n2,0.3\n',
    'data/quoted.csv': 'step,value\n1,0.5\n"2\n",0.4\n3,x\n',
    'data/ok.jsonl': '{"step":1,"value":0.5}\n\n{"step":2,"value":0.25,"wallTime":"2024-05-01T10:00:00Z"}\n',
    'data/bad.jsonl': '{"step":1,"value":0.5}\n{"step":2,"value":\n',
    'data/extra.jsonl': '{"step":1,"value":0.5,"loss":1}\n',
    'data/dup.jsonl': '{"step":1,"value":0.5}\n{"step":1,"value":0.6}\n',
    'logs/run1/events.out.tfevents.1.host': eventFile([
      { fileVersion: 'brain.Event:2', wallTime: 1714557600 },
      { step: 1, wallTime: 1714557601, tag: 'loss', simpleValue: 0.5 },
      { step: 1, wallTime: 1714557601, tag: 'accuracy', simpleValue: 0.9 },
      { step: 2, wallTime: 1714557602, tag: 'loss', tensorFloat: 0.25 },
      { step: 3, wallTime: 1714557603, tag: 'loss', tensorFloat: 0.125, packed: true },
    ]),
    'logs/run1/events.out.tfevents.2.host': eventFile([{ step: 4, wallTime: 1714557604, tag: 'loss', simpleValue: 0.0625 }]),
    'notes.txt': 'x',
  });

  it('CSV: header in any order, BOM, CRLF, blank lines, quotes; wallTime as RFC 3339 or epoch seconds', async () => {
    expect(await pointsOf(manifest, { file: 'data/ok.csv' })).toEqual([
      { step: 1, scalar: { value: 0.5 }, wallTime: '2024-05-01T10:00:00Z' },
      { step: 2, scalar: { value: 0.25 } },
      { step: 3, scalar: { value: 0.125 }, wallTime: '2024-05-01T10:00:00.000Z' },
    ]);
    expect(await pointsOf(manifest, { file: 'data/swapped.csv' })).toEqual([{ step: 1, scalar: { value: 0.5 } }]);
  });

  it('CSV: bad data names the file and the line', async () => {
    const cases: [string, number, string][] = [
      ['data/bad-step.csv', 4, 'step "abc" is not an integer'],
      ['data/bad-value.csv', 2, 'value "zero" is not a number'],
      ['data/bad-header.csv', 1, 'the header must name the columns step, value and optionally wallTime'],
      ['data/dup.csv', 5, `step 2 appears twice with different values (also at ${join(dir, 'data/dup.csv')}:3)`],
      // A quoted field across lines: the bad record is still found at its line.
      ['data/quoted.csv', 5, 'value "x" is not a number'],
    ];
    for (const [file, line, message] of cases) {
      const err = await failure(manifest, { file });
      expect({ file: err.file, line: err.line, message: err.message }, file).toEqual({ file: join(dir, file), line, message: expect.stringContaining(message) });
    }
  });

  it('JSON Lines: points, and bad lines by number', async () => {
    expect(await pointsOf(manifest, { file: 'data/ok.jsonl' })).toEqual([
      { step: 1, scalar: { value: 0.5 } },
      { step: 2, scalar: { value: 0.25 }, wallTime: '2024-05-01T10:00:00Z' },
    ]);
    expect(await failure(manifest, { file: 'data/bad.jsonl' })).toMatchObject({ line: 2, message: expect.stringContaining('not JSON') });
    expect(await failure(manifest, { file: 'data/extra.jsonl' })).toMatchObject({ line: 1, message: expect.stringContaining('unknown key "loss"') });
    expect(await failure(manifest, { file: 'data/dup.jsonl' })).toMatchObject({ line: 2, message: expect.stringContaining('step 1 appears twice') });
  });

  it('TensorBoard event files: simple_value and TF2 scalar tensors of one tag, across the files of a log directory', async () => {
    expect(await pointsOf(manifest, { file: 'logs/run1', tag: 'loss' })).toEqual([
      { step: 1, scalar: { value: 0.5 }, wallTime: '2024-05-01T10:00:01.000Z' },
      { step: 2, scalar: { value: 0.25 }, wallTime: '2024-05-01T10:00:02.000Z' },
      { step: 3, scalar: { value: 0.125 }, wallTime: '2024-05-01T10:00:03.000Z' },
      { step: 4, scalar: { value: 0.0625 }, wallTime: '2024-05-01T10:00:04.000Z' },
    ]);
    expect(await pointsOf(manifest, { file: 'logs/run1/events.out.tfevents.1.host', tag: 'accuracy' })).toEqual([
      { step: 1, scalar: { value: Math.fround(0.9) }, wallTime: '2024-05-01T10:00:01.000Z' },
    ]);
  });

  it('TensorBoard event files: a corrupt or truncated record is named by its number', async () => {
    const good = eventFile([
      { fileVersion: 'brain.Event:2', wallTime: 1 },
      { step: 1, wallTime: 2, tag: 'loss', simpleValue: 0.5 },
      { step: 2, wallTime: 3, tag: 'loss', simpleValue: 0.25 },
    ]);
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 8] ^= 0xff; // inside the data of record 3
    const { manifest: m } = stackDir({ 'corrupt/events.out.tfevents.1': corrupt, 'short/events.out.tfevents.1': good.subarray(0, good.length - 3) });
    expect(await failure(m, { file: 'corrupt', tag: 'loss' })).toMatchObject({ record: 3, message: expect.stringContaining('CRC-32C of the record data does not match') });
    expect(await failure(m, { file: 'short', tag: 'loss' })).toMatchObject({ record: 3, message: expect.stringContaining('truncated') });
  });

  it('paths: relative to the manifest, inside its directory; event files need a tag, other files none', async () => {
    const outside = stackDir({ 'elsewhere.csv': 'step,value\n1,1\n' });
    symlinkSync(join(outside.dir, 'elsewhere.csv'), join(dir, 'data/link.csv'));
    const resolveFails = (spec: { file: string; tag?: string }) => resolveSource(spec, manifest).then(() => expect.fail(spec.file), (e: Error) => e.message);
    expect(await resolveFails({ file: '../x.csv' })).toContain("is outside the stack's directory");
    expect(await resolveFails({ file: join(outside.dir, 'elsewhere.csv') })).toContain("is outside the stack's directory");
    expect(await resolveFails({ file: 'data/link.csv' })).toContain("leads outside the stack's directory");
    expect(await resolveFails({ file: 'data/missing.csv' })).toContain('no such file or directory');
    expect(await resolveFails({ file: 'notes.txt' })).toContain('cannot tell the format');
    expect(await resolveFails({ file: 'logs/run1' })).toContain('need the tag');
    expect(await resolveFails({ file: 'data/ok.csv', tag: 'loss' })).toContain('"tag" is for TensorBoard event files');
    const missingTag = await preparePoints({ file: 'logs/run1', tag: 'lr' }, { manifestFile: manifest, recorded: undefined, valueType: 'SCALAR' }).then(
      () => 'no error',
      (e: Error) => e.message,
    );
    expect(missingTag).toContain('no scalar values tagged "lr" (tags: accuracy, loss)');
  });

  it('digests: state keeps count, last step and hash; equal bytes are not parsed again', async () => {
    const prepared = await preparePoints({ file: 'data/ok.csv' }, { manifestFile: manifest, recorded: undefined, valueType: 'SCALAR' });
    const planned = await planPoints(prepared, { fresh: true, liveRead: false, replaceOnDataRemoval: false });
    const recorded = recordedPoints(planned.value) as Record<string, unknown>;
    expect(recorded).toMatchObject({ points: 3, lastStep: 3, file: 'data/ok.csv', sha256: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(JSON.stringify(recorded)).not.toContain('0.125');
    // Not parsed again: the digest is taken from state as it is.
    const again = await preparePoints({ file: 'data/ok.csv' }, { manifestFile: manifest, recorded: { ...recorded, sha256: 'from-state' }, valueType: 'SCALAR' });
    expect(again.digest).toEqual({ ...prepared.digest, sha256: 'from-state' });
    // Unless a write was left unfinished.
    const pending = await preparePoints({ file: 'data/ok.csv' }, { manifestFile: manifest, recorded: { ...recorded, sha256: 'x', pendingWrite: 'now' }, valueType: 'SCALAR' });
    expect(pending.digest).toEqual(prepared.digest);
    // The same points inline have the same digest.
    const inline = await preparePoints(await pointsOf(manifest, { file: 'data/ok.csv' }), { manifestFile: manifest, recorded: undefined, valueType: 'SCALAR' });
    expect(inline.digest).toEqual(prepared.digest);
  });

  it('a point written as JSON text is JSON.stringify of the point', async () => {
    const fromFile = await loadSeries({ source: await resolveSource({ file: 'data/ok.csv' }, manifest) });
    const inline = await loadSeries({ inline: [{ step: 2, scalar: { value: -0 } }, { step: '3', tensor: { value: 'AAE=' }, wallTime: '2024-05-01T10:00:00Z' }] });
    for (const series of [fromFile, inline]) {
      for (let i = 0; i < series.size; i++) expect(series.pointJson(i)).toBe(JSON.stringify(series.point(i)));
    }
    expect(fromFile.size).toBe(3);
  });

  it('the step diff: adds, changes, points that stay, and the steps apply writes', async () => {
    const points = Array.from({ length: 10 }, (_, i) => ({ step: i, scalar: { value: i } }));
    const prepared = await preparePoints(points, { manifestFile: manifest, recorded: undefined, valueType: 'SCALAR' });
    const live = new Map<number, Record<string, unknown>>();
    for (const p of points.slice(0, 8)) live.set(p.step, { step: String(p.step), scalar: { value: p.step === 3 ? 99 : p.step }, wallTime: '2024-05-01T10:00:00Z' });
    live.set(20, { step: '20', scalar: { value: 1 } });
    const plan = await planPoints(prepared, { live, fresh: false, liveRead: true, replaceOnDataRemoval: false });
    expect(plan.change).toEqual({ points: 10, add: 2, change: 1, stay: 1 });
    expect(plan.value.write).toEqual([
      [3, 3],
      [8, 9],
    ]);
    const recreate = await planPoints(prepared, { live, fresh: false, liveRead: true, replaceOnDataRemoval: true });
    expect(recreate.recreate).toContain('1 live point is not in dataPoints');
  });
});

/** What a reader makes of a file: its points in reading order, or its error with the place. */
async function readingOf(read: (onPoint: Parameters<typeof readSource>[1]) => Promise<void>): Promise<unknown> {
  const points: unknown[] = [];
  try {
    await read((step, value, wallTime, _file, at) => points.push([step, Object.is(value, -0) ? '-0' : value, wallTime, at]));
    return { points };
  } catch (err) {
    if (!(err instanceof DataSourceError)) throw err;
    return { error: err.message, line: err.line, points: points.length };
  }
}

describe('plain CSV lines read in place', () => {
  it('plain decimals are read exactly as Number() reads them, anything else is left to it', () => {
    const decimal = fc.tuple(fc.boolean(), fc.stringMatching(/^(0|[1-9][0-9]{0,16})$/), fc.option(fc.stringMatching(/^[0-9]{1,16}$/))).map(([neg, int, frac]) => `${neg ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}`);
    fc.assert(
      fc.property(fc.oneof(decimal, fc.double().map(String), fc.string({ unit: fc.constantFrom('0', '1', '9', '.', '-', '+', 'e', ' ', ',') })), (text) => {
        const n = plainDecimal(`x${text}y`, 1, text.length + 1);
        if (!Number.isNaN(n)) expect(Object.is(n, Number(text)) && Object.is(n, JSON.parse(text))).toBe(true);
        else if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(text)) expect(text.replace(/[-.]/g, '').length).toBeGreaterThan(15);
      }),
      { numRuns: 2000 },
    );
  });

  it('any file gives the same points and errors as csv-parse alone', async () => {
    const { dir, manifest } = stackDir({});
    const token = fc.constantFrom('1', '2', '0', '-3', '0.5', '1e3', ' 4', 'x', '', ',', ',', '\n', '\n', '\r\n', '\r', '"', '"7"', '2024-05-01T10:00:00Z', '1714557600');
    const header = fc.constantFrom('step,value', 'value,step', 'step,value,wallTime', 'wallTime,step,value', 'step,loss', '', '\uFEFFstep,value', '"step",value');
    const ending = fc.constantFrom('\n', '\r\n', '\r', '');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(header, ending, fc.array(fc.array(token, { maxLength: 6 }), { maxLength: 8 }), fc.boolean(), async (head, eol, lines, endsWithEol) => {
        const text = `${head}${eol}${lines.map((l) => l.join('')).join(eol)}${endsWithEol ? eol : ''}`;
        const path = join(dir, `random-${n++}.csv`);
        writeFileSync(path, text);
        const src: DataSource = await resolveSource({ file: path.slice(dir.length + 1) }, manifest);
        const fast = await readingOf((onPoint) => readSource(src, onPoint));
        const general = await readingOf((onPoint) => readCsvWithParser(src, 0, onPoint));
        expect(fast, JSON.stringify(text)).toEqual(general);
      }),
      { numRuns: 300 },
    );
    // Files of many chunks: a "\r\n" split between two, a quote or a stray "\r" far in, a bad value after it.
    const many = (eol: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${from + i},${((from + i) % 97) / 8}${eol}`).join('');
    const big = {
      crlf: `step,value\r\n${many('\r\n', 0, 30_000)}`,
      'crlf-quote': `step,value\r\n${many('\r\n', 0, 20_000)}"20000",1.5\r\n${many('\r\n', 20_001, 30_000)}30000,x\r\n`,
      'lf-stray-cr': `step,value\n${many('\n', 0, 20_000)}20000,1\r5\n${many('\n', 20_001, 30_000)}`,
      'lf-then-crlf': `step,value\n${many('\n', 0, 20_000)}${many('\r\n', 20_000, 20_010)}`,
      'bad-far-in': `step,value\n${many('\n', 0, 25_000)}25000,,\n`,
    };
    for (const [name, text] of Object.entries(big)) {
      writeFileSync(join(dir, `${name}.csv`), text);
      const src = await resolveSource({ file: `${name}.csv` }, manifest);
      const fast = await readingOf((onPoint) => readSource(src, onPoint));
      expect(fast, name).toEqual(await readingOf((onPoint) => readCsvWithParser(src, 0, onPoint)));
      if (name === 'crlf') expect((fast as { points: unknown[] }).points).toHaveLength(30_000);
    }
  });

  it('JSON Lines: lines read in place give what JSON.parse gives them', async () => {
    const { dir, manifest } = stackDir({});
    const number = fc.constantFrom('0', '-0', '1', '12', '007', '1.5', '1.', '.5', '-2.25', '1e3', '9007199254740993', '0.30000001192092896', '', '"3"', 'x', '1,2');
    const line = fc.oneof(
      fc.tuple(number, number, fc.constantFrom('', '\r', ' ', ',"wallTime":"2024-05-01T10:00:00Z"', ',"step":2')).map(([a, b, tail]) => `{"step":${a},"value":${b}${tail.startsWith(',') ? `${tail}}` : `}${tail}`}`),
      fc.constantFrom('', '{"step":1}', '{"value":1,"step":2}', '{"step":1,"value":2', '[1,2]'),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 8 }), async (lines) => {
        // The same lines with a space after "{": JSON alike, never read in place.
        const read = async (text: string) => {
          const path = join(dir, `random-${n++}.jsonl`);
          writeFileSync(path, text);
          return readingOf(async (onPoint) => readSource(await resolveSource({ file: path.slice(dir.length + 1) }, manifest), onPoint));
        };
        const fast = (await read(lines.join('\n'))) as { error?: string };
        const general = (await read(lines.map((l) => l.replace(/^\{/, '{ ')).join('\n'))) as { error?: string };
        // JSON.parse's messages quote the line
        if (fast.error?.startsWith('not JSON') && general.error?.startsWith('not JSON')) fast.error = general.error;
        expect(fast, JSON.stringify(lines)).toEqual(general);
      }),
      { numRuns: 300 },
    );
  });
});
