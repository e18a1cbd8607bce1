import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/core/errors.js';
import {
  dependencyOrder,
  findReferences,
  hasReferences,
  maskSensitive,
  resolveReferences,
  SENSITIVE_MASK,
  type DesiredResource,
  type Stack,
} from '../src/manifest/index.js';
import { indent, load, problemsOf, stackYaml, writeFiles, yaml } from './manifest.support.js';

const byAddress = (stack: Stack, address: string): DesiredResource => {
  const r = stack.resources.find((x) => x.address === address);
  if (!r) throw new Error(`no resource ${address}`);
  return r;
};

const tensorboard = (name: string, extraProps = ''): string =>
  indent(yaml`
    - name: ${name}
      type: google.aiplatform.tensorboards
      props:
        - name: projectsId
          value: p
        - name: locationsId
          value: us-central1
        - name: displayName
          value: ${name}
  `, 2) + extraProps;

const experiment = (name: string, tensorboardsId: string): string =>
  indent(yaml`
    - name: ${name}
      type: google.aiplatform.experiments
      props:
        - name: projectsId
          value: p
        - name: locationsId
          value: us-central1
        - name: tensorboardsId
          value: '${tensorboardsId}'
        - name: experimentsId
          value: ${name}
  `, 2);

describe('the example stack in manifests/', () => {
  it('loads as one stack of every kind, with a default project on a machine without variables', async () => {
    const stack = await load(['manifests']);
    expect(stack.name).toBe('vision-team');
    expect(stack.files).toEqual(['manifests/jobs.yaml', 'manifests/stack.yaml', 'manifests/tensorboard.yaml']);
    expect(new Set(stack.resources.map((r) => r.type))).toEqual(
      new Set([
        'google.aiplatform.tensorboards',
        'google.aiplatform.experiments',
        'google.aiplatform.runs',
        'google.aiplatform.time_series',
        'google.aiplatform.custom_jobs',
        'google.aiplatform.notebook_execution_jobs',
        'google.notebooks.executions',
      ]),
    );
    const trainer = byAddress(stack, 'trainer');
    expect(trainer.props.projectsId).toBe('demo-project');
    expect(trainer.props.labels).toEqual({ team: 'vision', 'cost-center': 'ml-research' });
    expect(trainer.props.jobSpec).toMatchObject({
      baseOutputDirectory: { outputUriPrefix: 'gs://demo-project-vision-artifacts/trainer' },
      tensorboard: '{{ training.name }}',
      serviceAccount: 'vision-trainer@demo-project.iam.gserviceaccount.com',
    });
    expect(trainer.refs).toEqual([{ path: 'jobSpec.tensorboard', address: 'training', field: 'name' }]);
    expect(byAddress(stack, 'loss').dependsOn).toEqual(['training', 'baseline', 'run-lr-0-01']);
    expect(byAddress(stack, 'nightly-eval').dependsOn).toEqual(['trainer']);
    const order = dependencyOrder(stack.resources);
    const before = (a: string, b: string): boolean => order.indexOf(a) < order.indexOf(b);
    expect(before('training', 'baseline') && before('baseline', 'run-lr-0-01') && before('run-lr-0-01', 'loss')).toBe(true);
    expect(before('training', 'trainer') && before('trainer', 'nightly-eval')).toBe(true);
  });

  it('takes the project from VERTEXCTL_VAR_project, --var over the environment, and --env values', async () => {
    expect(byAddress(await load(['manifests']), 'training').props.projectsId).toBe('demo-project');
    expect(byAddress(await load(['manifests'], { environment: { project: 'unprefixed' } }), 'training').props.projectsId).toBe('demo-project');
    const fromEnv = await load(['manifests'], { environment: { VERTEXCTL_VAR_project: 'env-project' } });
    expect(byAddress(fromEnv, 'training').props.projectsId).toBe('env-project');
    const fromVar = await load(['manifests'], { environment: { VERTEXCTL_VAR_project: 'env-project' }, vars: { project: 'var-project' } });
    expect(byAddress(fromVar, 'training').props.projectsId).toBe('var-project');
    expect(byAddress(fromVar, 'baseline').props.labels).toEqual({ tier: 'dev' });
    const prd = await load(['manifests'], { env: 'prd' });
    expect(prd.env).toBe('prd');
    expect(byAddress(prd, 'baseline').props.labels).toEqual({ tier: 'prod' });
  });
});

describe('templates', () => {
  it('resolves --var, then VERTEXCTL_VAR_ environment variables, then globals (which may use other globals)', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(
        tensorboard('tb', "      - name: description\n        value: '{{ greeting }} from {{ WHO }} in {{ PLACE }}'\n"),
        "globals:\n  - name: greeting\n    value: '{{ word }}!'\n  - name: word\n    value: hello\n  - name: PLACE\n    value: global-place\n",
      ),
    });
    const environment = { VERTEXCTL_VAR_WHO: 'env', VERTEXCTL_VAR_word: 'hi', PLACE: 'unprefixed' };
    const stack = await load([dir], { vars: { WHO: 'var' }, environment });
    expect(byAddress(stack, 'tb').props.description).toBe('hi! from var in global-place');
  });

  it('looks names up as own data only: no prototype members, no unprefixed environment variables', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(
        tensorboard(
          'tb',
          indent(yaml`
            - name: description
              value: '{{ toString }}'
            - name: etag
              value: '{{ __proto__ }}'
            - name: labels
              value: { a: '{{ hasOwnProperty | default("x") }}', b: '{{ constructor | default("y") }}' }
          `, 6),
        ),
      ),
    });
    const f = join(dir, 'a.yaml');
    const environment = { CI_DEPLOY_TOKEN: 'secret', toString: 'nope' };
    const unset = (name: string) =>
      `unset variable "${name}": define a global, pass --var ${name}=…, or set the environment variable VERTEXCTL_VAR_${name}`;
    expect(await problemsOf([dir], { environment })).toEqual([
      `${f}:14:16: resource "tb": props.description: ${unset('toString')}`,
      `${f}:16:16: resource "tb": props.etag: ${unset('__proto__')}`,
    ]);
    const fixed = writeFiles({
      'a.yaml': stackYaml(tensorboard('tb', "      - name: labels\n        value: { a: '{{ hasOwnProperty | default(\"x\") }}', b: '{{ CI_DEPLOY_TOKEN | default(\"none\") }}' }\n")),
    });
    expect(byAddress(await load([fixed], { environment }), 'tb').props.labels).toEqual({ a: 'x', b: 'none' });
  });

  it('uses default("…") only when the variable is unset, and keeps a whole-string global\'s type', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(
        tensorboard(
          'tb',
          indent(yaml`
            - name: description
              value: >-
                {{ A | default("fallback") }}/{{ B | default('other') }}
            - name: labels
              value: '{{ labels }}'
          `, 6),
        ),
        'globals:\n  - name: labels\n    value: { team: vision, size: large }\n',
      ),
    });
    const stack = await load([dir], { environment: { VERTEXCTL_VAR_B: 'set' } });
    expect(byAddress(stack, 'tb').props.description).toBe('fallback/set');
    expect(byAddress(stack, 'tb').props.labels).toEqual({ team: 'vision', size: 'large' });
  });

  it('reports an unset variable, a bad template, a global cycle and a bare address at their positions', async () => {
    const dir = writeFiles({
      'a.yaml': yaml`
        version: 1
        name: t
        globals:
          - name: one
            value: '{{ two }}'
          - name: two
            value: '{{ one }}'
        resources:
          - name: tb
            type: google.aiplatform.tensorboards
            props:
              - name: projectsId
                value: '{{ PROJECT }}'
              - name: locationsId
                value: '{{ not valid }}'
              - name: displayName
                value: '{{ tb }}'
      `,
    });
    const f = join(dir, 'a.yaml');
    expect(await problemsOf([dir])).toEqual([
      `${f}:5:12: global "one" refers to itself: one -> two -> one`,
      `${f}:13:16: resource "tb": props.projectsId: unset variable "PROJECT": define a global, pass --var PROJECT=…, or set the environment variable VERTEXCTL_VAR_PROJECT`,
      `${f}:15:16: resource "tb": props.locationsId: invalid template "{{ not valid }}": expected {{ name }}, {{ name | default("…") }} or {{ address.field }}`,
      `${f}:17:16: resource "tb": props.displayName: "tb" is a resource; reference one of its fields, e.g. {{ tb.name }}`,
    ]);
  });

  it('suggests a global for a misspelt variable', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(tensorboard('tb', "      - name: description\n        value: '{{ regoin }}'\n"), 'globals:\n  - name: region\n    value: x\n'),
    });
    const [line] = await problemsOf([dir]);
    expect(line).toContain('unset variable "regoin" (did you mean "region"?)');
  });
});

describe('per-environment values', () => {
  const file = stackYaml(
    tensorboard(
      'tb',
      indent(yaml`
        - name: description
          values:
            dev: { value: for dev }
            prd: { value: for prd }
      `, 6),
    ),
  );

  it('picks the --env value', async () => {
    const dir = writeFiles({ 'a.yaml': file });
    expect(byAddress(await load([dir], { env: 'prd' }), 'tb').props.description).toBe('for prd');
  });

  it('needs --env (or a default) and an entry for the environment given', async () => {
    const dir = writeFiles({ 'a.yaml': file });
    const f = join(dir, 'a.yaml');
    expect(await problemsOf([dir])).toEqual([
      `${f}:15:11: resource "tb": "description" has per-environment values (dev, prd): pass --env, or add a "default" entry`,
    ]);
    expect(await problemsOf([dir], { env: 'qa' })).toEqual([
      `${f}:15:11: resource "tb": "description" has no value for environment "qa" (has dev, prd; add a "default" entry to cover others)`,
    ]);
  });

  it('falls back to `default`', async () => {
    const dir = writeFiles({ 'a.yaml': file.replace('prd: { value: for prd }', 'prd: { value: for prd }\n          default: { value: for others }') });
    expect(byAddress(await load([dir], { env: 'qa' }), 'tb').props.description).toBe('for others');
    expect(byAddress(await load([dir]), 'tb').props.description).toBe('for others');
  });
});

describe('references and the dependency DAG', () => {
  it('turns {{ address.field }} into edges and keeps the text for the planner', async () => {
    const dir = writeFiles({ 'a.yaml': stackYaml(tensorboard('tb') + experiment('exp', '{{ tb.tensorboardsId }}')) });
    const exp = byAddress(await load([dir]), 'exp');
    expect(exp.props.tensorboardsId).toBe('{{ tb.tensorboardsId }}');
    expect(exp.refs).toEqual([{ path: 'tensorboardsId', address: 'tb', field: 'tensorboardsId' }]);
    expect(exp.dependsOn).toEqual(['tb']);
  });

  it('reports an unknown address (with a suggestion) and a field the target does not have', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(tensorboard('training') + experiment('e1', '{{ trainig.tensorboardsId }}') + experiment('e2', '{{ training.tensorboardId }}')),
    });
    const f = join(dir, 'a.yaml');
    expect(await problemsOf([dir])).toEqual([
      `${f}:21:16: resource "e1": props.tensorboardsId: unknown resource address "trainig" (did you mean "training"?)`,
      `${f}:32:16: resource "e2": props.tensorboardsId: resource "training" has no field "tensorboardId" (did you mean "tensorboardsId"?)`,
    ]);
  });

  it('accepts name, the id prop and any prop the target sets, nested ones too', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(
        tensorboard('tb', "      - name: labels\n        value: { team: vision }\n") +
          experiment('e1', '{{ tb.name }}') +
          experiment('e2', '{{ tb.labels.team }}') +
          experiment('e3', '{{ tb.displayName }}'),
      ),
    });
    expect((await load([dir])).resources.map((r) => r.refs.length)).toEqual([0, 1, 1, 1]);
  });

  it('reports a reference cycle, a self-reference and an unknown dependsOn', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(
        experiment('a', '{{ b.experimentsId }}') +
          experiment('b', '{{ a.experimentsId }}') +
          experiment('c', '{{ c.experimentsId }}') +
          '    dependsOn: [a, tb]\n',
      ),
    });
    const f = join(dir, 'a.yaml');
    expect(await problemsOf([dir])).toEqual([
      `${f}:4:11: resource "a": reference cycle: a -> b -> a`,
      `${f}:26:11: resource "c": reference cycle: c -> c`,
      `${f}:37:20: resource "c": dependsOn: unknown resource address "tb" (did you mean "b"?)`,
    ]);
  });

  it('dependencyOrder: parents first, input order otherwise, unknown edges ignored, cycles refused', () => {
    expect(
      dependencyOrder([
        { address: 'run', dependsOn: ['exp', 'elsewhere'] },
        { address: 'job', dependsOn: [] },
        { address: 'exp', dependsOn: ['tb'] },
        { address: 'tb', dependsOn: [] },
      ]),
    ).toEqual(['tb', 'exp', 'run', 'job']);
    expect(() => dependencyOrder([{ address: 'a', dependsOn: ['b'] }, { address: 'b', dependsOn: ['a'] }])).toThrow(
      new UserError([{ address: 'a', message: 'reference cycle: a -> b -> a' }]),
    );
    const chain = Array.from({ length: 5000 }, (_, i) => ({ address: `r${i}`, dependsOn: i ? [`r${i - 1}`] : [] })).reverse();
    const order = dependencyOrder(chain);
    expect(order[0]).toBe('r0');
    expect(order[4999]).toBe('r4999');
  });

  it('resolveReferences: whole strings take the raw value, embedded ones text, unknown ones stay', () => {
    const lookup = (address: string, field: string): unknown =>
      address === 'tb' && field === 'name' ? 'projects/p/locations/l/tensorboards/123' : address === 'job' && field === 'spec' ? { a: 1 } : undefined;
    const { value, unknown } = resolveReferences(
      { whole: '{{ tb.name }}', obj: '{{job.spec}}', text: 'tb={{ tb.name }}, id={{ exp.experimentsId }}', list: ['{{ nope.name }}', 3] },
      lookup,
    );
    expect(value).toEqual({
      whole: 'projects/p/locations/l/tensorboards/123',
      obj: { a: 1 },
      text: 'tb=projects/p/locations/l/tensorboards/123, id={{ exp.experimentsId }}',
      list: ['{{ nope.name }}', 3],
    });
    expect(unknown).toEqual([
      { address: 'exp', field: 'experimentsId' },
      { address: 'nope', field: 'name' },
    ]);
    expect(hasReferences({ a: ['x', { b: '{{ a.b }}' }] })).toBe(true);
    expect(hasReferences({ a: '{{ variable }}', b: 'plain' })).toBe(false);
    expect(findReferences({ spec: { pools: [{ uri: 'gs://{{ b.bucket }}/x' }] } })).toEqual([
      { path: 'spec.pools[0].uri', address: 'b', field: 'bucket' },
    ]);
  });
});

describe('files and directories', () => {
  it('reads every *.yaml / *.yml of a directory, sorted, as one stack with shared globals', async () => {
    const dir = writeFiles({
      'b.yml': 'version: 1\nresources:\n' + experiment('exp', '{{ tb.tensorboardsId }}').replace('value: p', "value: '{{ project }}'"),
      'a.yaml': stackYaml(tensorboard('tb'), 'globals:\n  - name: project\n    value: shared\n'),
      'notes.txt': 'not a manifest',
    });
    const stack = await load([dir]);
    expect(stack.files).toEqual([join(dir, 'a.yaml'), join(dir, 'b.yml')]);
    expect(byAddress(stack, 'exp').props.projectsId).toBe('shared');
  });

  it('names both places of a duplicate address, global or differing stack name', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(tensorboard('tb'), 'globals:\n  - name: g\n    value: 1\n'),
      'b.yaml': 'version: 1\nname: other\nglobals:\n  - name: g\n    value: 2\nresources:\n' + tensorboard('tb'),
    });
    const [a, b] = [join(dir, 'a.yaml'), join(dir, 'b.yaml')];
    expect(await problemsOf([dir])).toEqual([
      `${b}:2:7: stack name "other" differs from "test-stack" given at ${a}:2:7`,
      `${b}:4:11: duplicate global "g" (first defined at ${a}:4:11)`,
      `${b}:7:11: resource "tb": duplicate resource address (first defined at ${a}:7:11)`,
    ]);
  });

  it('needs a stack name in some file', async () => {
    const dir = writeFiles({ 'a.yaml': 'version: 1\nresources:\n' + tensorboard('tb') });
    expect(await problemsOf([dir])).toEqual([`${join(dir, 'a.yaml')}:1:1: missing stack "name" (give it in one of the stack's files)`]);
  });

  it('reports missing files and directories without manifests', async () => {
    const dir = writeFiles({ 'empty/readme.md': '# nothing here' });
    expect(await problemsOf([join(dir, 'nope.yaml'), join(dir, 'empty')])).toEqual([
      `${join(dir, 'nope.yaml')}: no such file or directory`,
      `${join(dir, 'empty')}: no *.yaml or *.yml files in this directory`,
    ]);
  });
});

describe('bad input: a clear error, never a stack trace', () => {
  const one = async (name: string, content: string | Uint8Array): Promise<{ file: string; lines: string[] }> => {
    const dir = writeFiles({ [name]: content });
    const file = join(dir, name);
    return { file, lines: await problemsOf([file]) };
  };

  it('an empty file, or one with only comments', async () => {
    for (const content of ['', '   \n\n', '# just a comment\n', '---\n']) {
      const { file, lines } = await one('empty.yaml', content);
      expect(lines).toEqual([`${file}:1:1: empty manifest`]);
    }
  });

  it('text that is not YAML, and YAML that is not a manifest', async () => {
    const bad = await one('bad.yaml', 'version: 1\nresources: [unclosed\n  - name: x\n');
    expect(bad.lines.length).toBeGreaterThan(0);
    for (const line of bad.lines) expect(line).toMatch(new RegExp(`^${bad.file}:\\d+:\\d+: invalid YAML: `));
    const text = await one('text.yaml', 'just some words\n');
    expect(text.lines).toEqual([`${text.file}:1:1: expected a mapping with version, name and resources, got a text value`]);
    const list = await one('list.yaml', '- a\n- b\n');
    expect(list.lines).toEqual([`${list.file}:1:1: expected a mapping with version, name and resources, got a list`]);
  });

  it('a binary file: NUL bytes or invalid UTF-8', async () => {
    const nul = await one('image.yaml', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    expect(nul.lines).toEqual([`${nul.file}:1:1: binary file (contains NUL bytes), expected a YAML manifest`]);
    const latin = await one('latin.yaml', new Uint8Array([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]));
    expect(latin.lines).toEqual([`${latin.file}:1:1: binary file (not valid UTF-8), expected a YAML manifest`]);
  });

  it('a 50 MB file is refused before it is read', async () => {
    const dir = writeFiles({});
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, '');
    truncateSync(file, 50 * 1024 * 1024);
    expect(await problemsOf([file])).toEqual([`${file}:1:1: file too large (50 MB, limit 10 MB)`]);
  });

  it('duplicate keys, at the second key', async () => {
    const { file, lines } = await one('dup.yaml', 'version: 1\nname: a\nname: b\n');
    expect(lines).toEqual([`${file}:3:1: invalid YAML: Map keys must be unique`]);
  });

  it('an alias bomb (billion laughs)', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const { file, lines } = await one('bomb.yaml', `version: 1\nname: bomb\n${levels.join('\n')}\n`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${file}:\\d+:\\d+: YAML aliases expand to more than 100000 nodes \\(an alias bomb\\?\\); refusing to load$`));
  });

  it('more than one YAML document in a file', async () => {
    const { file, lines } = await one('two.yaml', 'version: 1\nname: a\n---\nversion: 1\n');
    expect(lines).toEqual([`${file}:3:1: more than one YAML document in the file; put each part of a stack in its own file of one directory`]);
  });

  it('an unknown type, with a suggestion', async () => {
    const { file, lines } = await one('t.yaml', stackYaml('  - name: x\n    type: google.aiplatform.tensorbords\n'));
    expect(lines).toEqual([`${file}:5:11: resource "x": unknown resource type "google.aiplatform.tensorbords" (did you mean "google.aiplatform.tensorboards"?)`]);
  });

  it('unknown manifest keys, with a suggestion, and a prop with both value and values', async () => {
    const { file, lines } = await one(
      'k.yaml',
      stackYaml(
        indent(yaml`
          - name: tb
            type: google.aiplatform.tensorboards
            protect: true
            props:
              - name: displayName
                value: a
                values: { dev: { value: b } }
              - name: description
        `, 2),
        'descripton: typo\n',
      ),
    );
    expect(lines).toEqual([
      `${file}:3:1: unknown field "descripton" (did you mean "description"?)`,
      `${file}:7:5: resource "tb": unknown field "protect" (did you mean "protected"?)`,
      `${file}:9:9: resource "tb": props[0]: give "value" or "values", not more than one`,
      `${file}:12:9: resource "tb": props[1]: missing "value" or "values"`,
    ]);
  });

  it('a prop entry that is not a mapping: only that, not also the value-or-values rule', async () => {
    const { file, lines } = await one(
      'e.yaml',
      stackYaml(
        indent(yaml`
          - name: tb
            type: google.aiplatform.tensorboards
            props:
              - just text
              - name: displayName
                value: a
        `, 2),
      ),
    );
    expect(lines).toEqual([`${file}:7:9: resource "tb": props[0]: must be object`]);
  });

  it('the same prop twice, also under the create parameter name of the id', async () => {
    const { file, lines } = await one(
      'p.yaml',
      stackYaml(
        indent(yaml`
          - name: job
            type: google.aiplatform.notebook_execution_jobs
            props:
              - name: projectsId
                value: p
              - name: locationsId
                value: us-central1
              - name: notebookExecutionJobId
                value: a
              - name: notebookExecutionJobsId
                value: b
        `, 2),
      ),
    );
    expect(lines).toEqual([`${file}:13:15: resource "job": prop "notebookExecutionJobsId" is given twice; first at ${file}:11:15`]);
  });
});

describe('what a loaded resource carries', () => {
  it('positions of every prop path and field name, also in a copy', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(
        tensorboard(
          'tb',
          indent(yaml`
            - name: labels
              sensitive: true
              value:
                team: vision
          `, 6),
        ),
      ),
    });
    const f = join(dir, 'a.yaml');
    const tb = byAddress(await load([dir]), 'tb');
    const copy = { ...tb };
    expect(copy.pos).toEqual({ file: f, line: 4, col: 11 });
    expect(copy.positions['']).toEqual({ file: f, line: 6, col: 5 });
    expect(copy.positions.displayName).toEqual({ file: f, line: 12, col: 16 });
    expect(copy.positions['labels.team']).toEqual({ file: f, line: 16, col: 17 });
    expect(copy.namePositions?.['labels.team']).toEqual({ file: f, line: 16, col: 11 });
    expect(copy.sensitive).toEqual(['labels']);
    expect(maskSensitive(tb.props, tb.sensitive)).toEqual({ ...tb.props, labels: SENSITIVE_MASK });
  });

  it('a prop referencing a sensitive prop is sensitive too, through chains', async () => {
    const secret = indent(yaml`
      - name: description
        sensitive: true
        value: secret
    `, 6);
    const dir = writeFiles({
      'a.yaml': stackYaml(
        experiment('b', '{{ a.description }}') + experiment('c', '{{ b.tensorboardsId }}') + tensorboard('a', secret) + experiment('d', '{{ a.displayName }}'),
      ),
    });
    const stack = await load([dir]);
    expect(stack.resources.map((r) => [r.address, r.sensitive])).toEqual([
      ['b', ['tensorboardsId']],
      ['c', ['tensorboardsId']],
      ['a', ['description']],
      ['d', []],
    ]);
  });

  it('the options beside props, and the seeds\' create parameter as the id prop', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(
        tensorboard('tb') +
          indent(yaml`
            - name: job
              type: google.aiplatform.notebook_execution_jobs
              protected: true
              deletionPolicy: abandon
              ignoreChanges: [labels]
              dependsOn: [tb]
              props:
                - name: projectsId
                  value: p
                - name: locationsId
                  value: us-central1
                - name: notebookExecutionJobId
                  value: nightly
                - name: gcsNotebookSource
                  value: { uri: gs://b/n.ipynb }
          `, 2),
      ),
    });
    const job = byAddress(await load([dir]), 'job');
    expect(job).toMatchObject({ protected: true, deletionPolicy: 'abandon', ignoreChanges: ['labels'], dependsOn: ['tb'] });
    expect(job.props.notebookExecutionJobsId).toBe('nightly');
    expect(byAddress(await load([dir]), 'tb')).toMatchObject({ protected: false, deletionPolicy: 'delete', ignoreChanges: [], dependsOn: [] });
  });
});
