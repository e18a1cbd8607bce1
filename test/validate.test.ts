import { spawnSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indent, load, problemsOf, stackYaml, writeFiles, yaml } from './manifest.support.js';

/** The writable fields of the seeds' custom_jobs manifest example (from the StackQL docs' seed pages), with real values. */
const seedCustomJob = indent(
  yaml`
    - name: trainer
      type: google.aiplatform.custom_jobs
      props:
        - name: projectsId
          value: vision-prod
        - name: locationsId
          value: us-central1
        - name: displayName
          value: resnet50-train
        - name: labels
          value: { team: vision, env: prod }
        - name: encryptionSpec
          value:
            kmsKeyName: projects/vision-prod/locations/us-central1/keyRings/ml/cryptoKeys/training
        - name: jobSpec
          value:
            scheduling:
              restartJobOnWorkerRestart: true
              timeout: 86400s
              strategy: SPOT
              disableRetries: false
              maxWaitDuration: 1800s
            persistentResourceId: training-pool
            baseOutputDirectory:
              outputUriPrefix: gs://vision-prod-artifacts/resnet50
            experimentRun: resnet50-run-1
            protectedArtifactLocationId: us-central1
            serviceAccount: trainer@vision-prod.iam.gserviceaccount.com
            workerPoolSpecs:
              - machineSpec:
                  machineType: a2-highgpu-1g
                  acceleratorType: NVIDIA_TESLA_A100
                  acceleratorCount: 1
                  reservationAffinity:
                    reservationAffinityType: SPECIFIC_RESERVATION
                    key: compute.googleapis.com/reservation-name
                    values: [projects/vision-prod/zones/us-central1-a/reservations/a100-pool]
                replicaCount: '1'
                diskSpec:
                  bootDiskType: pd-ssd
                  bootDiskSizeGb: 200
                containerSpec:
                  imageUri: us-docker.pkg.dev/vertex-ai/training/pytorch-gpu.2-1.py310:latest
                  command: [python, -m, trainer.task]
                  args: [--epochs=20, --batch-size=256]
                  env:
                    - name: LEARNING_RATE
                      value: '0.01'
                nfsMounts:
                  - server: 10.20.0.2
                    path: /exports/datasets
                    mountPoint: datasets
              - machineSpec:
                  machineType: ct5lp-hightpu-4t
                  tpuTopology: 2x2
                replicaCount: 2
                pythonPackageSpec:
                  executorImageUri: us-docker.pkg.dev/vertex-ai/training/tf-tpu.2-14.py310:latest
                  packageUris: [gs://vision-prod-artifacts/trainer-0.3.0.tar.gz]
                  pythonModule: trainer.task
                  args: [--use-tpu]
                  env:
                    - name: TPU_PROFILE
                      value: 'off'
            enableDashboardAccess: true
            network: projects/123456789012/global/networks/ml-vpc
            enableWebAccess: false
            experiment: projects/vision-prod/locations/us-central1/metadataStores/default/contexts/resnet50
            reservedIpRanges: [vertex-training-range]
            tensorboard: projects/vision-prod/locations/us-central1/tensorboards/4242
            models: [projects/vision-prod/locations/us-central1/models/7]
  `,
  2,
);

/** The seeds' notebook_execution_jobs manifest fields, over three realistic jobs (sources and compute are alternatives). */
const seedNotebookJobs = indent(
  yaml`
    - name: nightly-eval
      type: google.aiplatform.notebook_execution_jobs
      props:
        - name: projectsId
          value: vision-prod
        - name: locationsId
          value: us-central1
        - name: notebookExecutionJobId
          value: nightly-eval-2024-05-01
        - name: displayName
          value: Nightly evaluation
        - name: gcsNotebookSource
          value: { uri: gs://vision-prod-notebooks/eval.ipynb, generation: '1714550400000000' }
        - name: customEnvironmentSpec
          value:
            machineSpec: { machineType: n1-standard-8, acceleratorType: NVIDIA_TESLA_T4, acceleratorCount: 1 }
            persistentDiskSpec: { diskType: pd-balanced, diskSizeGb: '200' }
            networkSpec: { enableInternetAccess: false, network: projects/123456789012/global/networks/ml-vpc, subnetwork: projects/123456789012/regions/us-central1/subnetworks/ml }
            shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true }
        - name: gcsOutputUri
          value: gs://vision-prod-notebooks/output
        - name: serviceAccount
          value: notebooks@vision-prod.iam.gserviceaccount.com
        - name: executionTimeout
          value: 3600s
        - name: labels
          value: { team: vision }
        - name: kernelName
          value: python3
        - name: encryptionSpec
          value: { kmsKeyName: projects/vision-prod/locations/us-central1/keyRings/ml/cryptoKeys/notebooks }
    - name: dataform-report
      type: google.aiplatform.notebook_execution_jobs
      props:
        - name: projectsId
          value: vision-prod
        - name: locationsId
          value: us-central1
        - name: notebookExecutionJobId
          value: dataform-report
        - name: displayName
          value: Weekly report from Dataform
        - name: dataformRepositorySource
          value:
            dataformRepositoryResourceName: projects/vision-prod/locations/us-central1/repositories/reports
            commitSha: 3f2a9c1
        - name: notebookRuntimeTemplateResourceName
          value: projects/vision-prod/locations/us-central1/notebookRuntimeTemplates/cpu-small
        - name: executionUser
          value: analyst@example.com
        - name: scheduleResourceName
          value: projects/vision-prod/locations/us-central1/schedules/weekly
        - name: gcsOutputUri
          value: gs://vision-prod-notebooks/reports
    - name: inline-check
      type: google.aiplatform.notebook_execution_jobs
      props:
        - name: projectsId
          value: vision-prod
        - name: locationsId
          value: us-central1
        - name: notebookExecutionJobId
          value: inline-check
        - name: directNotebookSource
          value: { content: eyJjZWxscyI6IFtdfQ== }
        - name: workbenchRuntime
          value: {}
        - name: gcsOutputUri
          value: gs://vision-prod-notebooks/checks
        - name: serviceAccount
          value: notebooks@vision-prod.iam.gserviceaccount.com
  `,
  2,
);

describe('the seeds\' field sets', () => {
  it('custom_jobs and notebook_execution_jobs, written with real values, validate', async () => {
    const dir = writeFiles({ 'seeds.yaml': stackYaml(seedCustomJob + seedNotebookJobs) });
    const stack = await load([dir]);
    expect(stack.resources.map((r) => r.address)).toEqual(['trainer', 'nightly-eval', 'dataform-report', 'inline-check']);
    expect(stack.resources[1].props.notebookExecutionJobsId).toBe('nightly-eval-2024-05-01');
  });

  it('every Output-only field of the seeds\' custom_jobs list is refused as output-only', async () => {
    const outputOnly = ['startTime', 'error', 'satisfiesPzs', 'endTime', 'createTime', 'name', 'satisfiesPzi', 'updateTime', 'state', 'webAccessUris'];
    const values: Record<string, string> = {
      error: '{ code: 1, message: cancelled }',
      satisfiesPzs: 'false',
      satisfiesPzi: 'false',
      state: 'JOB_STATE_RUNNING',
      webAccessUris: '{ workerpool0-0: "https://example.com" }',
      name: 'projects/p/locations/us-central1/customJobs/1',
    };
    const extra = outputOnly.map((f) => `      - name: ${f}\n        value: ${values[f] ?? "'2024-05-01T10:00:00Z'"}\n`).join('');
    const dir = writeFiles({ 'seeds.yaml': stackYaml(seedCustomJob.replace('      - name: jobSpec\n', `${extra}      - name: jobSpec\n`)) });
    const lines = await problemsOf([dir]);
    expect(lines.map((l) => l.replace(/^.*?: resource "trainer": /, ''))).toEqual(
      outputOnly.map((f) => `props: "${f}" is output-only (set by the server); remove it`),
    );
  });
});

describe('props validation, each problem at its file:line:col', () => {
  const file = yaml`
    version: 1
    name: mistakes
    resources:
      - name: trainer
        type: google.aiplatform.custom_jobs
        props:
          - name: projectsId
            value: p
          - name: locationsId
            value: us-central1
          - name: createTime
            value: '2024-05-01T10:00:00Z'
          - name: jobSpec
            value:
              workerPoolSpecs:
                - machineSpec:
                    machineType: 4
                    acceleratorTyp: NVIDIA_TESLA_T4
                  replicaCount: one
                  containerSpec:
                    args: [--x]
              scheduling:
                strategy: spot
                timeout: 2h
      - name: curve
        type: google.aiplatform.time_series
        props:
          - name: projectsId
            value: p
          - name: locationsId
            value: us-central1
          - name: tensorboardsId
            value: '123'
          - name: experimentsId
            value: e
          - name: runsId
            value: r
          - name: timeSeriesId
            value: Loss_Curve
          - name: displayName
            value: loss
          - name: valueType
            value: SCALR
          - name: dataPoints
            value:
              - { step: 1, wallTime: '2024-05-01T10:00:00Z', scalar: { value: 2.5 } }
              - { step: 2, wallTime: yesterday, scalr: { value: 1.5 } }
  `;

  it('reports a misspelt field, a wrong type, an enum value, an Output-only field and missing required fields', async () => {
    const dir = writeFiles({ 'train.yaml': file });
    const f = join(dir, 'train.yaml');
    expect(await problemsOf([dir])).toEqual([
      `${f}:6:5: resource "trainer": props: missing required field "displayName"`,
      `${f}:11:15: resource "trainer": props: "createTime" is output-only (set by the server); remove it`,
      `${f}:17:30: resource "trainer": props.jobSpec.workerPoolSpecs[0].machineSpec.machineType: must be string`,
      `${f}:18:17: resource "trainer": props.jobSpec.workerPoolSpecs[0].machineSpec: unknown field "acceleratorTyp" (did you mean "acceleratorType"?)`,
      `${f}:19:29: resource "trainer": props.jobSpec.workerPoolSpecs[0].replicaCount: must be a whole number (or a string of digits) from -9223372036854775808 to 9223372036854775807`,
      `${f}:21:17: resource "trainer": props.jobSpec.workerPoolSpecs[0].containerSpec: missing required field "imageUri"`,
      `${f}:23:23: resource "trainer": props.jobSpec.scheduling.strategy: must be one of STRATEGY_UNSPECIFIED, ON_DEMAND, LOW_COST, STANDARD, SPOT, FLEX_START (did you mean "SPOT"?)`,
      `${f}:24:22: resource "trainer": props.jobSpec.scheduling.timeout: must be a duration in seconds like "3600s"`,
      `${f}:39:16: resource "curve": props.timeSeriesId: not a valid id: 1-128 characters of [a-z0-9-]`,
      `${f}:43:16: resource "curve": props.valueType: must be one of VALUE_TYPE_UNSPECIFIED, SCALAR, TENSOR, BLOB_SEQUENCE (did you mean "SCALAR"?)`,
      `${f}:47:34: resource "curve": props.dataPoints[1].wallTime: must be an RFC 3339 timestamp like "2024-05-01T12:00:00Z"`,
      `${f}:47:45: resource "curve": props.dataPoints[1]: unknown field "scalr" (did you mean "scalar"?)`,
    ]);
  });

  it('checks labels against the label rules of Google, naming the rule', async () => {
    const dir = writeFiles({
      'labels.yaml': yaml`
        version: 1
        name: labels
        resources:
          - name: board
            type: google.aiplatform.tensorboards
            props:
              - name: projectsId
                value: p
              - name: locationsId
                value: us-central1
              - name: displayName
                value: board
              - name: labels
                value:
                  Team: vision
                  cost-center: "ML Research"
                  équipe: vision_2
      `,
    });
    const f = join(dir, 'labels.yaml');
    expect(await problemsOf([dir])).toEqual([
      `${f}:15:11: resource "board": props.labels: invalid key "Team": a label key starts with a lowercase letter and holds lowercase letters, digits, _ and -, at most 64 characters`,
      `${f}:16:24: resource "board": props.labels.cost-center: a label value holds lowercase letters, digits, _ and -, at most 64 characters`,
    ]);
  });

  it('needs the parent ids and a client-chosen id; a server-chosen id is optional', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(
        indent(
          yaml`
            - name: exp
              type: google.aiplatform.experiments
              props:
                - name: locationsId
                  value: us-central1
            - name: tb
              type: google.aiplatform.tensorboards
              props:
                - name: projectsId
                  value: p
                - name: locationsId
                  value: us-central1/x
                - name: displayName
                  value: tb
          `,
          2,
        ),
      ),
    });
    const f = join(dir, 'a.yaml');
    expect(await problemsOf([dir])).toEqual([
      `${f}:6:5: resource "exp": props: missing required field "projectsId"`,
      `${f}:6:5: resource "exp": props: missing required field "tensorboardsId"`,
      `${f}:6:5: resource "exp": props: missing required field "experimentsId"`,
      `${f}:15:16: resource "tb": props.locationsId: an id holds letters, digits, and . _ : ~ - only (no spaces, slashes or control characters)`,
    ]);
  });

  it('references validate as "known after apply": whole strings skip checks, embedded ones keep the type check', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(
        seedCustomJob
          .replace('tensorboard: projects/vision-prod/locations/us-central1/tensorboards/4242', "tensorboard: 'projects/vision-prod/locations/us-central1/tensorboards/{{ tb.tensorboardsId }}'")
          .replace("replicaCount: '1'", "replicaCount: '{{ tb.labels.replicas }}'")
          .replace('strategy: SPOT', "strategy: '{{ tb.labels.strategy }}'")
          .replace('timeout: 86400s', "timeout: '{{ tb.labels.hours }}h'") +
          indent(
            yaml`
              - name: tb
                type: google.aiplatform.tensorboards
                props:
                  - name: projectsId
                    value: vision-prod
                  - name: locationsId
                    value: us-central1
                  - name: displayName
                    value: tb
                  - name: labels
                    value: { replicas: '2', strategy: spot, hours: '3' }
            `,
            2,
          ),
      ),
    });
    const stack = await load([dir]);
    expect(stack.resources[0].dependsOn).toEqual(['tb']);
  });

  it('an Output-only field is refused even when its value is a reference', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(seedCustomJob.replace('      - name: jobSpec\n', "      - name: state\n        value: '{{ other.state }}'\n      - name: jobSpec\n") + seedNotebookJobs.replace(/nightly-eval/g, 'other')),
    });
    const lines = await problemsOf([dir]);
    expect(lines.some((l) => l.endsWith('resource "trainer": props: "state" is output-only (set by the server); remove it'))).toBe(true);
  });

  it('ignoreChanges paths must be fields of the kind', async () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(seedCustomJob.replace('    props:\n', '    ignoreChanges: [labels.team, "jobSpec.workerPoolSpecs[0].replicaCount", lables, jobSpec.sheduling]\n    props:\n')),
    });
    const f = join(dir, 'a.yaml');
    expect(await problemsOf([dir])).toEqual([
      `${f}:6:77: resource "trainer": ignoreChanges: "lables" is not a field of google.aiplatform.custom_jobs (did you mean "labels"?)`,
      `${f}:6:85: resource "trainer": ignoreChanges: "jobSpec.sheduling" is not a field of google.aiplatform.custom_jobs (did you mean "scheduling"?)`,
    ]);
  });

  it('validate: false skips the schema checks (the planner loads stacks it already validated)', async () => {
    const dir = writeFiles({ 'train.yaml': file });
    const stack = await load([dir], { validate: false });
    expect(stack.resources).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------
// The real CLI: a handful of runs (each costs a process start).

function vertexctl(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VERTEXCTL_VAR_')));
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: join(import.meta.dirname, '..'),
    encoding: 'utf8',
    env: { ...base, ...env },
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

const noStackTrace = (text: string): void => {
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toMatch(/Error:/);
};

describe('vertexctl validate', () => {
  it('accepts the example stack (exit 0), in text and JSON, with --env and --var', () => {
    const text = vertexctl(['validate', 'manifests']);
    expect(text).toMatchObject({ status: 0, stderr: '' });
    expect(text.stdout).toBe('✓ 8 resources valid (stack "vision-team", 3 files)\n');
    const json = vertexctl(['validate', 'manifests/', '--json', '--env', 'prd', '--var', 'project=acme-ml']);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ valid: true, problems: [] });
  });

  it('reports each problem on one line of stderr, or as JSON, and exits 1', () => {
    const dir = writeFiles({
      'train.yaml': stackYaml(seedCustomJob.replace('machineType: a2-highgpu-1g', 'machineType: 4')),
    });
    const f = join(dir, 'train.yaml');
    const text = vertexctl(['validate', dir]);
    expect(text.status).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toBe(`${f}:34:30: resource "trainer": props.jobSpec.workerPoolSpecs[0].machineSpec.machineType: must be string\n`);
    const json = vertexctl(['validate', f, '--json']);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      valid: false,
      problems: [{ file: f, line: 34, col: 30, address: 'trainer', message: 'props.jobSpec.workerPoolSpecs[0].machineSpec.machineType: must be string' }],
    });
  });

  it('bad files: empty, binary, 50 MB, alias bomb, missing: one line each, exit 1, no stack trace', () => {
    const bomb = ['version: 1', 'a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) bomb.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? '*a' : `*l${i - 1}`).join(', ')}]`);
    const dir = writeFiles({ 'empty.yaml': '', 'image.yaml': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0]), 'bomb.yaml': bomb.join('\n') });
    writeFileSync(join(dir, 'huge.yaml'), '');
    truncateSync(join(dir, 'huge.yaml'), 50 * 1024 * 1024);
    const res = vertexctl(['validate', join(dir, 'empty.yaml'), join(dir, 'image.yaml'), join(dir, 'huge.yaml'), join(dir, 'bomb.yaml'), join(dir, 'gone.yaml')]);
    expect(res.status).toBe(1);
    noStackTrace(res.stderr);
    const lines = res.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe(`${join(dir, 'gone.yaml')}: no such file or directory`);
    expect(lines.slice(1)).toEqual([
      `${join(dir, 'empty.yaml')}:1:1: empty manifest`,
      `${join(dir, 'image.yaml')}:1:1: binary file (contains NUL bytes), expected a YAML manifest`,
      `${join(dir, 'huge.yaml')}:1:1: file too large (50 MB, limit 10 MB)`,
      expect.stringMatching(new RegExp(`^${join(dir, 'bomb.yaml')}:\\d+:\\d+: YAML aliases expand to more than 100000 nodes`)),
    ]);
  });

  it('a reference cycle and an unset variable: exit 1, no stack trace', () => {
    const dir = writeFiles({
      'a.yaml': stackYaml(
        indent(
          yaml`
            - name: a
              type: google.aiplatform.tensorboards
              props:
                - name: projectsId
                  value: '{{ PROJECT_ID }}'
                - name: locationsId
                  value: us-central1
                - name: displayName
                  value: '{{ b.displayName }}'
            - name: b
              type: google.aiplatform.tensorboards
              props:
                - name: projectsId
                  value: p
                - name: locationsId
                  value: us-central1
                - name: displayName
                  value: '{{ a.displayName }}'
          `,
          2,
        ),
      ),
    });
    const f = join(dir, 'a.yaml');
    const res = vertexctl(['validate', dir]);
    expect(res.status).toBe(1);
    noStackTrace(res.stderr);
    expect(res.stderr).toBe(
      `${f}:4:11: resource "a": reference cycle: a -> b -> a\n` +
        `${f}:8:16: resource "a": props.projectsId: unset variable "PROJECT_ID": define a global, pass --var PROJECT_ID=…, or set the environment variable VERTEXCTL_VAR_PROJECT_ID\n`,
    );
    expect(vertexctl(['validate', dir, '--var', 'PROJECT_ID=p']).stderr).toBe(`${f}:4:11: resource "a": reference cycle: a -> b -> a\n`);
  });
});
