import { createHash } from 'node:crypto';

/**
 * Project numbers. Google answers Vertex AI calls with the project's number in resource names
 * (`projects/123456789012/locations/…`) whichever of id or number the request used, and takes
 * either on input. The emulator gives each project id a stable 12-digit number (a hash of the id,
 * or one set with the `projectNumbers` option), stores aiplatform resources under the number and
 * answers with it. `projectIdsInNames` turns this off (names echo the request's spelling).
 * Notebooks v1 names keep the project id.
 */
export class ProjectDirectory {
  private readonly numbers = new Map<string, string>();

  constructor(
    readonly idsInNames: boolean,
    fixed: Record<string, string> = {},
  ) {
    for (const [id, n] of Object.entries(fixed)) this.numbers.set(id, n);
  }

  /** The project's number: itself when it is one. */
  numberOf(project: string): string {
    if (/^\d+$/.test(project)) return project;
    let n = this.numbers.get(project);
    if (n === undefined) {
      const digest = createHash('sha256').update(project).digest();
      // 12 digits, the first not 0, like real project numbers.
      n = String(100_000_000_000 + (digest.readUIntBE(0, 6) % 900_000_000_000));
      this.numbers.set(project, n);
    }
    return n;
  }

  /** `projects/{id}/…` → `projects/{number}/…` (unchanged with idsInNames, or when not a project name). */
  canonical(name: string): string {
    return this.idsInNames ? name : this.numbered(name);
  }

  /** Whether two names are the same once their projects are spelled alike. */
  same(a: string, b: string): boolean {
    return a === b || this.numbered(a) === this.numbered(b);
  }

  private numbered(name: string): string {
    if (!name.startsWith('projects/')) return name;
    const end = name.indexOf('/', 9);
    const project = end < 0 ? name.slice(9) : name.slice(9, end);
    if (project === '' || /^\d+$/.test(project)) return name;
    return `projects/${this.numberOf(project)}${end < 0 ? '' : name.slice(end)}`;
  }
}
