/**
 * The few Cloud Storage JSON API calls the gs:// state backend makes (objects insert, get, list,
 * delete), each with an optional ifGenerationMatch precondition. Talks to Google's endpoint with
 * the caller's credentials, or to the emulator without any.
 */

export const GOOGLE_STORAGE = 'https://storage.googleapis.com';
const TIMEOUT_MS = 60_000;

/** A precondition (ifGenerationMatch) did not hold: someone else changed the object first. */
export class GenerationMismatch extends Error {}

export interface ObjectInfo {
  name: string;
  generation: string;
  updated: string;
  metadata?: Record<string, string>;
}

export interface StorageClientOptions {
  /** Base URL (the emulator's), or a function that finds it; default Google's. */
  endpoint?: string | (() => Promise<string>);
  /** Authorization headers for a request (Google's endpoint). */
  headers?: (url: string) => Promise<Record<string, string>>;
}

export class StorageClient {
  private base: Promise<string> | undefined;

  constructor(
    private readonly bucket: string,
    private readonly opts: StorageClientOptions,
    /** For messages: `gs://bucket/prefix`. */
    private readonly where: string,
  ) {}

  /** The object's content and generation, or null when there is none. */
  async get(name: string): Promise<{ text: string; generation: string } | null> {
    const res = await this.call('GET', `storage/v1/b/${enc(this.bucket)}/o/${enc(name)}?alt=media`);
    if (res.status === 404) return null;
    await this.expectOk(res, `read ${name}`);
    return { text: await res.text(), generation: res.headers.get('x-goog-generation') ?? '' };
  }

  /** Writes the object; `ifGenerationMatch: '0'` writes only if it does not exist. Returns the new generation. */
  async insert(name: string, text: string, opts: { ifGenerationMatch?: string; metadata?: Record<string, string> } = {}): Promise<string> {
    const boundary = `vertexctl-${Math.random().toString(36).slice(2)}`;
    const meta = JSON.stringify({ name, contentType: 'application/json', ...(opts.metadata && { metadata: opts.metadata }) });
    const body =
      `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${meta}\r\n` +
      `--${boundary}\r\nContent-Type: application/json\r\n\r\n${text}\r\n--${boundary}--\r\n`;
    const query = new URLSearchParams({ uploadType: 'multipart', name });
    if (opts.ifGenerationMatch !== undefined) query.set('ifGenerationMatch', opts.ifGenerationMatch);
    const res = await this.call('POST', `upload/storage/v1/b/${enc(this.bucket)}/o?${query}`, body, `multipart/related; boundary=${boundary}`);
    if (res.status === 412) throw new GenerationMismatch(name);
    await this.expectOk(res, `write ${name}`);
    return String(((await res.json()) as { generation: string }).generation);
  }

  /** Deletes the object (only that generation, when given); false when it was not there. */
  async delete(name: string, ifGenerationMatch?: string): Promise<boolean> {
    const query = ifGenerationMatch === undefined ? '' : `?ifGenerationMatch=${ifGenerationMatch}`;
    const res = await this.call('DELETE', `storage/v1/b/${enc(this.bucket)}/o/${enc(name)}${query}`);
    if (res.status === 404) return false;
    if (res.status === 412) throw new GenerationMismatch(name);
    await this.expectOk(res, `delete ${name}`);
    return true;
  }

  /** Every object whose name starts with prefix, in name order. */
  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let pageToken: string | undefined;
    do {
      const query = new URLSearchParams({ prefix, maxResults: '1000', fields: 'items(name,generation,updated,metadata),nextPageToken' });
      if (pageToken) query.set('pageToken', pageToken);
      const res = await this.call('GET', `storage/v1/b/${enc(this.bucket)}/o?${query}`);
      await this.expectOk(res, `list ${prefix}`);
      const page = (await res.json()) as { items?: ObjectInfo[]; nextPageToken?: string };
      out.push(...(page.items ?? []));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }

  private async call(method: string, path: string, body?: string, contentType?: string): Promise<Response> {
    this.base ??= (async () => {
      const e = this.opts.endpoint;
      const url = typeof e === 'function' ? await e() : (e ?? GOOGLE_STORAGE);
      return url.endsWith('/') ? url : `${url}/`;
    })();
    const url = `${await this.base}${path}`;
    const headers: Record<string, string> = { ...(this.opts.headers && !this.opts.endpoint ? await this.opts.headers(url) : {}) };
    if (contentType) headers['content-type'] = contentType;
    try {
      return await fetch(url, { method, headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`${this.where}: cannot reach Cloud Storage at ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
  }

  private async expectOk(res: Response, what: string): Promise<void> {
    if (res.ok) return;
    let message = `HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { error?: { message?: string } };
      if (body.error?.message) message = `${message}: ${body.error.message}`;
    } catch {
      // not a JSON error body: the status says enough
    }
    const hint = res.status === 404 ? ' (does the bucket exist?)' : res.status === 401 || res.status === 403 ? ' (check the credentials and their access to the bucket)' : '';
    throw new Error(`${this.where}: cannot ${what}: ${message}${hint}`);
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
