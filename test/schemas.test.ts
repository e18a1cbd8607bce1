import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSchemas, messageDocument, type DiscoveryDoc } from '../scripts/generate-schemas.js';
import { KINDS } from '../src/kinds/index.js';
import {
  compile,
  createAjv,
  fieldInfo,
  fieldInfoIn,
  kindSchema,
  knownFields,
  knownFieldsIn,
  manifestSchema,
  messageSchema,
  packageRoot,
  precompiledValidator,
  type SchemaNode,
} from '../src/schema/registry.js';
import { propsSchemaOf } from '../src/schema/validate.js';

const schemasDir = join(packageRoot(), 'schemas');

/** Every file under dir (relative paths), leaving out the vendored discovery input. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) {
        if (name !== 'vendor') walk(full);
      } else out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

function errorsOf(schema: SchemaNode, value: unknown): string[] {
  const validate = compile(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

const kindErrors = (type: string, body: unknown): string[] => errorsOf(kindSchema(type), body);

describe('generated schemas', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vertexctl-schemas-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('regenerating from the vendored discovery documents gives exactly the committed files', () => {
    generateSchemas({ outDir: tmp, vendorDir: join(schemasDir, 'vendor') });
    const generated = listFiles(tmp);
    expect(generated).toEqual(listFiles(schemasDir));
    expect(generated).toContain('manifest.schema.json');
    expect(generated).toContain(join('api', 'GoogleCloudAiplatformV1TimeSeriesDataPoint.schema.json'));
    for (const kind of KINDS) expect(generated).toContain(`${kind.type}.schema.json`);
    for (const file of generated) {
      expect(readFileSync(join(tmp, file), 'utf8'), file).toBe(readFileSync(join(schemasDir, file), 'utf8'));
    }
  });

  it('every schema compiles in strict mode', () => {
    for (const kind of KINDS) expect(typeof compile(kindSchema(kind.type))).toBe('function');
    expect(typeof compile(manifestSchema())).toBe('function');
    for (const file of readdirSync(join(schemasDir, 'api'))) {
      expect(typeof compile(messageSchema(file.replace(/\.schema\.json$/, '')))).toBe('function');
    }
  });

  it('vendored discovery documents keep endpoints, rootUrl, revision and the kinds\' methods', () => {
    const ai = JSON.parse(readFileSync(join(schemasDir, 'vendor', 'aiplatform.v1.json'), 'utf8'));
    expect(ai.rootUrl).toBe('https://aiplatform.googleapis.com/');
    expect(ai.revision).toMatch(/^\d{8}$/);
    expect(ai.endpoints).toContainEqual(expect.objectContaining({ location: 'us-central1', endpointUrl: 'https://us-central1-aiplatform.googleapis.com/' }));
    const runs = ai.resources.projects.resources.locations.resources.tensorboards.resources.experiments.resources.runs;
    expect(runs.methods.batchCreate.path).toBe('v1/{+parent}/runs:batchCreate');
    expect(ai.schemas.GoogleCloudAiplatformV1TensorboardRun).toBeDefined();
    expect(ai.schemas.GoogleCloudAiplatformV1Model).toBeUndefined();
    const nb = JSON.parse(readFileSync(join(schemasDir, 'vendor', 'notebooks.v1.json'), 'utf8'));
    expect(Object.keys(nb.resources.projects.resources.locations.resources).sort()).toEqual(['executions', 'operations']);
  });
});

describe('field markers', () => {
  it('runs: name and createTime are output only, displayName is required', () => {
    const schema = kindSchema('google.aiplatform.runs') as { properties: Record<string, SchemaNode>; required: string[] };
    expect(schema.properties.name.readOnly).toBe(true);
    expect(schema.properties.createTime.readOnly).toBe(true);
    expect(schema.properties.displayName['x-required']).toBe(true);
    expect(schema.required).toEqual(['displayName']);
    expect(kindErrors('google.aiplatform.runs', { description: 'no name' })).toEqual([" must have required property 'displayName'"]);
  });

  it('experiments: source is immutable', () => {
    expect(fieldInfo('google.aiplatform.experiments', ['source'])).toMatchObject({ shape: 'scalar', immutable: true });
    expect(fieldInfo('google.aiplatform.experiments', ['displayName'])?.immutable).toBeUndefined();
  });

  it('time series: valueType is immutable, required and an enum', () => {
    const info = fieldInfo('google.aiplatform.time_series', ['valueType']);
    expect(info).toMatchObject({ immutable: true, required: true, enum: ['VALUE_TYPE_UNSPECIFIED', 'SCALAR', 'TENSOR', 'BLOB_SEQUENCE'] });
    expect(kindErrors('google.aiplatform.time_series', { displayName: 'loss', valueType: 'SCALAR' })).toEqual([]);
    expect(kindErrors('google.aiplatform.time_series', { displayName: 'loss', valueType: 'HISTOGRAM' })).toEqual([
      '/valueType must be equal to one of the allowed values',
    ]);
  });

  it('fieldInfo walks $refs, lists and maps, and inherits output-only/immutable from enclosing fields', () => {
    const type = 'google.aiplatform.custom_jobs';
    expect(fieldInfo(type, ['jobSpec', 'workerPoolSpecs', '0', 'replicaCount'])).toMatchObject({ shape: 'scalar', format: 'int64' });
    expect(fieldInfo(type, ['jobSpec', 'workerPoolSpecs', 'replicaCount'])?.format).toBe('int64');
    expect(fieldInfo(type, ['jobSpec', 'workerPoolSpecs', '0', 'machineSpec'])).toMatchObject({
      shape: 'message',
      immutable: true,
      messageId: 'GoogleCloudAiplatformV1MachineSpec',
    });
    expect(fieldInfo(type, ['jobSpec', 'workerPoolSpecs', '0', 'machineSpec', 'machineType'])?.immutable).toBe(true);
    expect(fieldInfo(type, ['jobSpec', 'scheduling', 'timeout'])?.format).toBe('google-duration');
    expect(fieldInfo(type, ['labels'])?.shape).toBe('map');
    expect(fieldInfo(type, ['labels', 'team'])).toMatchObject({ shape: 'scalar', type: 'string' });
    expect(fieldInfo(type, ['error', 'code'])).toMatchObject({ readOnly: true, format: 'int32' });
    expect(fieldInfo(type, ['error', 'details', '0', 'anything', 'below'])).toEqual({ shape: 'any', readOnly: true });
    expect(fieldInfo(type, ['jobSpec', 'workerPoolSpec'])).toBeUndefined();
    expect(knownFields(type, ['jobSpec', 'workerPoolSpecs'])).toContain('machineSpec');
    expect(knownFields(type)).toEqual(expect.arrayContaining(['displayName', 'jobSpec', 'labels', 'state']));
  });
});

describe('values', () => {
  const job = (replicaCount: unknown) => ({
    displayName: 'train',
    jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' }, replicaCount, containerSpec: { imageUri: 'gcr.io/p/i:1' } }] },
  });

  it('int64 fields take integers and numeric strings, not other text', () => {
    expect(kindErrors('google.aiplatform.custom_jobs', job(1))).toEqual([]);
    expect(kindErrors('google.aiplatform.custom_jobs', job('1'))).toEqual([]);
    expect(kindErrors('google.aiplatform.custom_jobs', job('-9223372036854775808'))).toEqual([]);
    expect(kindErrors('google.aiplatform.custom_jobs', job('x'))).toEqual(['/jobSpec/workerPoolSpecs/0/replicaCount must match pattern "^-?[0-9]+$"']);
    expect(kindErrors('google.aiplatform.custom_jobs', job('9223372036854775808'))).toEqual([
      '/jobSpec/workerPoolSpecs/0/replicaCount must match format "int64"',
    ]);
    expect(kindErrors('google.aiplatform.custom_jobs', job(1.5))).toHaveLength(1);
  });

  it('unknown fields are errors, at the top and in nested messages', () => {
    expect(kindErrors('google.aiplatform.runs', { displayName: 'r', colour: 'red' })).toEqual([' must NOT have additional properties']);
    const nested = job(1);
    (nested.jobSpec.workerPoolSpecs[0].machineSpec as Record<string, unknown>).machine_type = 'n1-standard-4';
    expect(kindErrors('google.aiplatform.custom_jobs', nested)).toEqual(['/jobSpec/workerPoolSpecs/0/machineSpec must NOT have additional properties']);
  });

  it('labels are a map of strings', () => {
    expect(kindErrors('google.aiplatform.tensorboards', { displayName: 't', labels: { team: 'vision', 'cost-center': 'a1' } })).toEqual([]);
    expect(kindErrors('google.aiplatform.tensorboards', { displayName: 't', labels: { replicas: 3 } })).toEqual(['/labels/replicas must be string']);
  });

  it('durations, timestamps, doubles and bytes follow Google\'s JSON mapping', () => {
    const scheduling = (s: Record<string, unknown>) => ({ ...job(1), jobSpec: { ...job(1).jobSpec, scheduling: s } });
    expect(kindErrors('google.aiplatform.custom_jobs', scheduling({ timeout: '86400s', maxWaitDuration: '0.5s' }))).toEqual([]);
    expect(kindErrors('google.aiplatform.custom_jobs', scheduling({ timeout: '24h' }))).toEqual([
      '/jobSpec/scheduling/timeout must match format "google-duration"',
    ]);
    const point = messageSchema('GoogleCloudAiplatformV1TimeSeriesDataPoint');
    expect(errorsOf(point, { step: '3', wallTime: '2024-02-29T23:59:59.123456789Z', scalar: { value: 0.25 } })).toEqual([]);
    expect(errorsOf(point, { step: 4, wallTime: '2024-03-01T01:00:00+02:00', scalar: { value: 'NaN' } })).toEqual([]);
    expect(errorsOf(point, { scalar: { value: '-Infinity' } })).toEqual([]);
    expect(errorsOf(point, { scalar: { value: 'lots' } })).toHaveLength(1);
    expect(errorsOf(point, { wallTime: '2023-02-29T00:00:00Z' })).toEqual(['/wallTime must match format "google-datetime"']);
    expect(errorsOf(point, { wallTime: '2024-01-01 00:00:00' })).toHaveLength(1);
    expect(errorsOf(point, { blobs: { values: [{ data: 'aGVsbG8=' }, { data: 'aGVsbG8_LQ' }] } })).toEqual([]);
    expect(errorsOf(point, { blobs: { values: [{ data: 'not base64!' }] } })).toEqual(['/blobs/values/0/data must match format "byte"']);
  });

  it('request fields the URL supplies are optional in the body; nested ones stay required', () => {
    const runWrite = messageSchema('GoogleCloudAiplatformV1WriteTensorboardRunDataRequest');
    const series = { tensorboardTimeSeriesId: 'loss', valueType: 'SCALAR', values: [{ step: '1', scalar: { value: 0.5 } }] };
    expect(errorsOf(runWrite, { timeSeriesData: [series] })).toEqual([]);
    const experimentWrite = messageSchema('GoogleCloudAiplatformV1WriteTensorboardExperimentDataRequest');
    expect(errorsOf(experimentWrite, { writeRunDataRequests: [{ timeSeriesData: [series] }] })).toEqual([
      "/writeRunDataRequests/0 must have required property 'tensorboardRun'",
    ]);
    const batch = messageSchema('GoogleCloudAiplatformV1BatchCreateTensorboardRunsRequest');
    const parent = 'projects/p/locations/us-central1/tensorboards/123/experiments/baseline';
    expect(
      errorsOf(batch, { requests: [{ parent, tensorboardRunId: 'run-1', tensorboardRun: { displayName: 'run 1', labels: { seed: '1' } } }] }),
    ).toEqual([]);
    expect(errorsOf(messageSchema('GoogleCloudAiplatformV1CancelCustomJobRequest'), {})).toEqual([]);
  });

  it('notebooks Execution: executionTemplate carries a labels map', () => {
    const type = 'google.notebooks.executions';
    expect(fieldInfo(type, ['executionTemplate', 'labels'])?.shape).toBe('map');
    const execution = {
      description: 'nightly feature report',
      outputNotebookFile: 'gs://team-notebooks/out/report.ipynb',
      executionTemplate: {
        scaleTier: 'CUSTOM',
        masterType: 'n1-standard-4',
        acceleratorConfig: { type: 'NVIDIA_TESLA_T4', coreCount: '1' },
        labels: { team: 'vision', 'vertexctl-stack': 'demo' },
        inputNotebookFile: 'gs://team-notebooks/report.ipynb',
        containerImageUri: 'gcr.io/deeplearning-platform-release/base-cpu',
        outputNotebookFolder: 'gs://team-notebooks/out',
        parameters: 'date=2024-03-01',
        serviceAccount: 'runner@p.iam.gserviceaccount.com',
        jobType: 'VERTEX_AI',
        kernelSpec: 'python3',
        vertexAiParameters: { network: 'projects/123/global/networks/default', env: { MODE: 'nightly' } },
      },
    };
    expect(kindErrors(type, execution)).toEqual([]);
    const badLabels = { ...execution, executionTemplate: { ...execution.executionTemplate, labels: ['team'] } };
    expect(kindErrors(type, badLabels)).toEqual(['/executionTemplate/labels must be object']);
  });
});

describe('seed examples as real bodies', () => {
  it('a CustomJob with every documented field of seeds/002 validates', () => {
    const customJob = {
      displayName: 'resnet-train-2024-03',
      labels: { team: 'vision', 'vertexctl-stack': 'vision-team' },
      encryptionSpec: { kmsKeyName: 'projects/p/locations/us-central1/keyRings/ml/cryptoKeys/jobs' },
      jobSpec: {
        workerPoolSpecs: [
          {
            machineSpec: {
              machineType: 'n1-standard-4',
              acceleratorType: 'NVIDIA_TESLA_T4',
              acceleratorCount: 1,
              reservationAffinity: { reservationAffinityType: 'ANY_RESERVATION' },
            },
            replicaCount: '1',
            diskSpec: { bootDiskType: 'pd-ssd', bootDiskSizeGb: 100 },
            containerSpec: {
              imageUri: 'us-docker.pkg.dev/p/train/resnet:1.4',
              command: ['python', '-m', 'trainer.task'],
              args: ['--epochs=10', '--batch-size=64'],
              env: [{ name: 'TF_CPP_MIN_LOG_LEVEL', value: '2' }],
            },
            nfsMounts: [{ server: '10.0.0.2', path: '/exports/data', mountPoint: 'data' }],
          },
          {
            machineSpec: { machineType: 'n1-highmem-8' },
            replicaCount: 2,
            pythonPackageSpec: {
              executorImageUri: 'us-docker.pkg.dev/vertex-ai/training/tf-cpu.2-15.py310:latest',
              packageUris: ['gs://team-bucket/pkgs/trainer-0.1.tar.gz'],
              pythonModule: 'trainer.task',
              args: ['--role=worker'],
              env: [{ name: 'ROLE', value: 'worker' }],
            },
          },
        ],
        scheduling: { timeout: '86400s', restartJobOnWorkerRestart: false, strategy: 'STANDARD', disableRetries: false, maxWaitDuration: '1800s' },
        serviceAccount: 'trainer@p.iam.gserviceaccount.com',
        network: 'projects/123456/global/networks/vpc-ml',
        reservedIpRanges: ['vertex-ai-range'],
        baseOutputDirectory: { outputUriPrefix: 'gs://team-bucket/runs/resnet' },
        protectedArtifactLocationId: 'us-central1',
        tensorboard: 'projects/p/locations/us-central1/tensorboards/123',
        enableWebAccess: true,
        enableDashboardAccess: false,
        experiment: 'projects/p/locations/us-central1/metadataStores/default/contexts/resnet',
        experimentRun: 'projects/p/locations/us-central1/metadataStores/default/contexts/resnet-run-1',
        models: ['projects/p/locations/us-central1/models/42'],
      },
    };
    expect(kindErrors('google.aiplatform.custom_jobs', customJob)).toEqual([]);
  });

  it('a NotebookExecutionJob with the fields of seeds/003 validates', () => {
    const notebookJob = {
      displayName: 'daily-eval',
      gcsNotebookSource: { uri: 'gs://team-notebooks/eval.ipynb', generation: '1711111111111111' },
      customEnvironmentSpec: {
        machineSpec: { machineType: 'n1-standard-4' },
        persistentDiskSpec: { diskType: 'pd-standard', diskSizeGb: '100' },
        networkSpec: { enableInternetAccess: true, network: 'projects/123/global/networks/default' },
      },
      gcsOutputUri: 'gs://team-notebooks/out',
      serviceAccount: 'runner@p.iam.gserviceaccount.com',
      executionTimeout: '3600s',
      kernelName: 'python3',
      labels: { team: 'vision' },
      encryptionSpec: { kmsKeyName: 'projects/p/locations/us-central1/keyRings/ml/cryptoKeys/nb' },
    };
    expect(kindErrors('google.aiplatform.notebook_execution_jobs', notebookJob)).toEqual([]);
    const direct = { displayName: 'inline', directNotebookSource: { content: 'eyJjZWxscyI6IFtdfQ==' }, notebookRuntimeTemplateResourceName: 'projects/p/locations/us-central1/notebookRuntimeTemplates/t1' };
    expect(kindErrors('google.aiplatform.notebook_execution_jobs', direct)).toEqual([]);
    expect(kindErrors('google.aiplatform.notebook_execution_jobs', { ...notebookJob, executionTimeout: 3600 })).toEqual(['/executionTimeout must be string']);
  });
});

describe('recursive messages', () => {
  // The shape of google.protobuf.Struct / Value / ListValue, which refer to each other.
  const doc: DiscoveryDoc = {
    name: 'test',
    version: 'v1',
    revision: '20240101',
    rootUrl: 'https://example.invalid/',
    resources: {},
    schemas: {
      Struct: { id: 'Struct', type: 'object', properties: { fields: { type: 'object', additionalProperties: { $ref: 'Value' } } } },
      Value: {
        id: 'Value',
        type: 'object',
        properties: {
          stringValue: { type: 'string' },
          structValue: { $ref: 'Struct' },
          listValue: { $ref: 'ListValue' },
          anyValue: { type: 'any' },
        },
      },
      ListValue: { id: 'ListValue', type: 'object', properties: { values: { type: 'array', items: { $ref: 'Value' } } } },
    },
  };
  const schema = messageDocument(doc, 'Struct', 'Struct') as SchemaNode;

  it('refers to the root as # and to others under $defs', () => {
    expect(Object.keys(schema.$defs as object)).toEqual(['ListValue', 'Value']);
    expect(JSON.stringify(schema)).toContain('"$ref":"#"');
  });

  it('validates nested values to any depth and still rejects unknown fields', () => {
    const deep = { fields: { a: { listValue: { values: [{ structValue: { fields: { b: { stringValue: 'x', anyValue: [1, { c: null }] } } } }] } } } };
    expect(errorsOf(schema, deep)).toEqual([]);
    expect(errorsOf(schema, { fields: { a: { structValue: { fields: { b: { numberValue: 1 } } } } } })).toEqual([
      '/fields/a/structValue/fields/b must NOT have additional properties',
    ]);
    expect(fieldInfoIn(schema, ['fields', 'a', 'listValue', 'values', '0', 'structValue'])?.shape).toBe('message');
    expect(knownFieldsIn(schema, ['fields', 'a', 'listValue', 'values'])).toEqual(['anyValue', 'listValue', 'stringValue', 'structValue']);
    expect(fieldInfoIn(schema, ['fields', 'a', 'listValue', 'values', '0', 'stringValue'])?.type).toBe('string');
  });
});

describe('manifest schema', () => {
  const manifest = {
    version: 1,
    name: 'vision-team',
    description: 'TensorBoards and training jobs of the vision team',
    globals: [
      { name: 'project', value: '{{ GOOGLE_PROJECT }}' },
      { name: 'region', values: { dev: { value: 'us-central1' }, prd: { value: 'europe-west4' } }, description: 'per env' },
    ],
    resources: [
      {
        name: 'training',
        type: 'google.aiplatform.tensorboards',
        props: [
          { name: 'projectsId', value: '{{ project }}' },
          { name: 'displayName', value: 'training', description: 'optional, for people' },
        ],
        protected: true,
      },
      {
        name: 'baseline',
        type: 'google.aiplatform.experiments',
        props: [{ name: 'labels', values: { dev: { value: { tier: 'dev' } }, prd: { value: { tier: 'prod' } } } }],
        ignoreChanges: ['labels.owner'],
        deletionPolicy: 'abandon',
        dependsOn: ['training'],
      },
    ],
  };

  it('accepts the DESIGN.md example', () => {
    expect(errorsOf(manifestSchema(), manifest)).toEqual([]);
  });

  it('rejects unknown types, unknown keys, a wrong version and a prop with both value and values', () => {
    const bad = structuredClone(manifest) as Record<string, unknown> & typeof manifest;
    bad.version = 2 as 1;
    bad.resources[0].type = 'google.aiplatform.models';
    (bad.resources[1] as Record<string, unknown>).deletion_policy = 'abandon';
    (bad.resources[0].props[0] as Record<string, unknown>).values = { dev: { value: 'p' } };
    const errors = errorsOf(manifestSchema(), bad);
    expect(errors).toContain('/version must be equal to constant');
    expect(errors).toContain('/resources/0/type must be equal to one of the allowed values');
    expect(errors).toContain('/resources/1 must NOT have additional properties');
    expect(errors).toContain('/resources/0/props/0 must NOT be valid');
  });

  it('lists every kind as a resource type', () => {
    const defs = (manifestSchema() as { $defs: { resource: { properties: { type: { enum: string[] } } } } }).$defs;
    expect(defs.resource.properties.type.enum).toEqual(KINDS.map((k) => k.type));
  });
});

describe('precompiled validators (schemas/validators/)', () => {
  it('serve the manifest schema and every kind props schema, so no CLI run compiles them', () => {
    expect(precompiledValidator(manifestSchema())).toBeTypeOf('function');
    for (const kind of KINDS) {
      const schema = propsSchemaOf(kind, kindSchema(kind.type), messageSchema);
      expect(precompiledValidator(schema), kind.type).toBeTypeOf('function');
    }
    // A schema nobody precompiled is compiled at run time instead.
    expect(precompiledValidator({ type: 'object', properties: { x: { type: 'string' } } })).toBeUndefined();
  });

  it('judge like a freshly compiled validator', () => {
    const kind = KINDS.find((k) => k.type === 'google.aiplatform.runs')!;
    const schema = propsSchemaOf(kind, kindSchema(kind.type), messageSchema);
    const fresh = createAjv().compile(schema);
    const shipped = precompiledValidator(schema)!;
    const cases = [
      { projectsId: 'p', locationsId: 'l', tensorboardsId: '1', experimentsId: 'e', runsId: 'r', displayName: 'x' },
      { projectsId: 'p', locationsId: 'l', tensorboardsId: '1', experimentsId: 'e', runsId: 'r', displayNme: 'x' },
      { projectsId: 'p', displayName: 3 },
    ];
    for (const c of cases) {
      expect(shipped(c)).toBe(fresh(c));
      expect((shipped.errors ?? []).map((e) => e.instancePath + e.keyword)).toEqual((fresh.errors ?? []).map((e) => e.instancePath + e.keyword));
    }
  });
});

describe('pattern messages', () => {
  /** Every `pattern` in a schema, with the rule in words that reports it (x-rule, or its format's hint). */
  function patterns(node: unknown, out: { pattern: string; words: boolean }[] = []): typeof out {
    if (Array.isArray(node)) for (const v of node) patterns(v, out);
    else if (node !== null && typeof node === 'object') {
      const n = node as Record<string, unknown>;
      if (typeof n.pattern === 'string') {
        out.push({ pattern: n.pattern, words: typeof n['x-rule'] === 'string' || ['int64', 'uint64', 'double', 'float'].includes(String(n.format)) });
      }
      for (const v of Object.values(n)) patterns(v, out);
    }
    return out;
  }

  it('every pattern of the manifest, body and props schemas is explained in words, never as a regex', () => {
    const schemas = [manifestSchema(), ...KINDS.map((k) => propsSchemaOf(k, kindSchema(k.type), messageSchema))];
    const found = schemas.flatMap((s) => patterns(s));
    expect(found.length).toBeGreaterThan(20);
    const kindIds = new Set(KINDS.flatMap((k) => (k.idPattern ? [k.idPattern.source] : [])));
    // A kind's own id pattern is worded by its idRule (validateProps).
    expect(found.filter((p) => !p.words && !kindIds.has(p.pattern))).toEqual([]);
  });
});
