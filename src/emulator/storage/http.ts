import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Mount } from '../server.js';
import { md5Base64, PreconditionFailed, StorageObjects, type Preconditions, type StoredObject } from './objects.js';

/**
 * The part of the Cloud Storage JSON API (https://storage.googleapis.com/storage/v1/) that state
 * in `gs://bucket/prefix` needs, with Google's paths, answers and errors:
 *
 *   POST   /upload/storage/v1/b/{bucket}/o?uploadType=media|multipart&name=…   objects.insert
 *   GET    /storage/v1/b/{bucket}/o/{object}[?alt=media]                      objects.get
 *   GET    /storage/v1/b/{bucket}/o?prefix=&delimiter=&maxResults=&pageToken= objects.list
 *   DELETE /storage/v1/b/{bucket}/o/{object}                                  objects.delete
 *
 * with the preconditions ifGenerationMatch (0: "must not exist"), ifGenerationNotMatch,
 * ifMetagenerationMatch and ifMetagenerationNotMatch: a failed one answers 412 conditionNotMet.
 */

const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;
const PAGE_MAX = 1000;

/**
 * Serves the Cloud Storage part beside the other APIs of the emulator (not counted in its stats),
 * keeping objects in dataDir when given.
 */
export async function mountCloudStorage(server: { mount(m: Mount): void }, dataDir?: string): Promise<CloudStorage> {
  const storage = new CloudStorage();
  if (dataDir) await storage.objects.persistTo(dataDir);
  for (const prefix of ['/storage/v1/', '/upload/storage/v1/']) {
    server.mount({ prefix, handle: (req, res) => storage.handle(req, res, `http://${req.headers.host ?? '127.0.0.1'}`) });
  }
  return storage;
}

class StorageFailure extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export class CloudStorage {
  readonly objects = new StorageObjects();

  async handle(req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', origin);
      const reply = await this.route(req, url, origin);
      if (reply.media) {
        res.writeHead(200, {
          'content-type': reply.media.contentType,
          'content-length': reply.media.data.length,
          'x-goog-generation': String(reply.media.generation),
          'x-goog-metageneration': String(reply.media.metageneration),
          'x-goog-hash': `md5=${md5Base64(reply.media.data)}`,
        });
        res.end(reply.media.data);
      } else if (reply.status === 204) {
        res.writeHead(204);
        res.end();
      } else sendJson(res, reply.status ?? 200, reply.body);
    } catch (err) {
      const failure =
        err instanceof StorageFailure
          ? err
          : err instanceof PreconditionFailed
            ? new StorageFailure(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.')
            : undefined;
      if (!failure) throw err;
      sendJson(res, failure.code, {
        error: { code: failure.code, message: failure.message, errors: [{ message: failure.message, domain: 'global', reason: failure.reason }] },
      });
    }
  }

  private async route(req: IncomingMessage, url: URL, origin: string): Promise<{ status?: number; body?: unknown; media?: StoredObject }> {
    const method = req.method ?? 'GET';
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    const one = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    const all = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    const q = url.searchParams;
    if (upload && method === 'POST') return { body: resource(await this.insert(req, decode(upload[1]), q), origin) };
    if (one && method === 'GET') {
      const [bucket, name] = [decode(one[1]), decode(one[2])];
      const obj = this.objects.get(bucket, name, preconditions(q));
      if (!obj || (q.has('generation') && q.get('generation') !== String(obj.generation))) throw noSuchObject(bucket, name);
      return q.get('alt') === 'media' ? { media: obj } : { body: resource({ bucket, obj }, origin) };
    }
    if (one && method === 'DELETE') {
      const [bucket, name] = [decode(one[1]), decode(one[2])];
      const current = this.objects.get(bucket, name);
      if (!current || (q.has('generation') && q.get('generation') !== String(current.generation))) throw noSuchObject(bucket, name);
      if (!(await this.objects.delete(bucket, name, preconditions(q)))) throw noSuchObject(bucket, name);
      return { status: 204 };
    }
    if (all && method === 'GET') return { body: this.list(decode(all[1]), q, origin) };
    if (all && method === 'POST') {
      throw new StorageFailure(400, 'wrongUrlForUpload', 'Upload requests must include an uploadType URL parameter and a URL path beginning with /upload/');
    }
    throw new StorageFailure(404, 'notFound', `Not Found: ${method} ${url.pathname}`);
  }

  private async insert(req: IncomingMessage, bucket: string, q: URLSearchParams): Promise<{ bucket: string; obj: StoredObject }> {
    const body = await readBody(req);
    const type = String(req.headers['content-type'] ?? 'application/octet-stream');
    let name = q.get('name') ?? undefined;
    let data = body;
    let contentType = type;
    let metadata: Record<string, string> | undefined;
    const uploadType = q.get('uploadType');
    if (uploadType === 'multipart') {
      const parts = multipart(body, type);
      let meta: { name?: string; contentType?: string; metadata?: Record<string, string> };
      try {
        meta = JSON.parse(parts[0].data.toString('utf8')) as typeof meta;
      } catch {
        throw new StorageFailure(400, 'invalid', 'Metadata part is not valid JSON.');
      }
      name = meta.name ?? name;
      data = parts[1].data;
      contentType = meta.contentType ?? parts[1].contentType ?? 'application/octet-stream';
      if (meta.metadata) metadata = Object.fromEntries(Object.entries(meta.metadata).map(([k, v]) => [k, String(v)]));
    } else if (uploadType !== 'media') {
      throw new StorageFailure(400, 'invalid', `uploadType ${uploadType ?? '(none)'} is not supported by the emulator (use media or multipart)`);
    }
    if (!name) throw new StorageFailure(400, 'required', 'Required parameter: name');
    const obj = await this.objects.put(bucket, name, data, { contentType, metadata }, preconditions(q));
    return { bucket, obj };
  }

  private list(bucket: string, q: URLSearchParams, origin: string): unknown {
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const max = Math.min(Number(q.get('maxResults') ?? PAGE_MAX) || PAGE_MAX, PAGE_MAX);
    const after = q.get('pageToken') ? Buffer.from(q.get('pageToken')!, 'base64url').toString('utf8') : undefined;
    const items: StoredObject[] = [];
    const prefixes = new Set<string>();
    let next: string | undefined;
    for (const obj of this.objects.list(bucket, prefix)) {
      if (after !== undefined && obj.name <= after) continue;
      if (items.length + prefixes.size >= max) {
        next = Buffer.from(items.length ? items[items.length - 1].name : obj.name, 'utf8').toString('base64url');
        break;
      }
      const rest = obj.name.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (cut >= 0) prefixes.add(prefix + rest.slice(0, cut + delimiter.length));
      else items.push(obj);
    }
    return {
      kind: 'storage#objects',
      ...(items.length && { items: items.map((obj) => resource({ bucket, obj }, origin)) }),
      ...(prefixes.size && { prefixes: [...prefixes] }),
      ...(next && { nextPageToken: next }),
    };
  }
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new StorageFailure(400, 'invalid', `Invalid path segment: ${part}`);
  }
}

function noSuchObject(bucket: string, name: string): StorageFailure {
  return new StorageFailure(404, 'notFound', `No such object: ${bucket}/${name}`);
}

function preconditions(q: URLSearchParams): Preconditions {
  const big = (key: string) => {
    const v = q.get(key);
    if (v === null) return undefined;
    if (!/^\d+$/.test(v)) throw new StorageFailure(400, 'invalid', `Invalid value for ${key}: ${v}`);
    return BigInt(v);
  };
  const num = (key: string) => {
    const v = big(key);
    return v === undefined ? undefined : Number(v);
  };
  return {
    ifGenerationMatch: big('ifGenerationMatch'),
    ifGenerationNotMatch: big('ifGenerationNotMatch'),
    ifMetagenerationMatch: num('ifMetagenerationMatch'),
    ifMetagenerationNotMatch: num('ifMetagenerationNotMatch'),
  };
}

function resource({ bucket, obj }: { bucket: string; obj: StoredObject }, origin: string): Record<string, unknown> {
  const path = `b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(obj.name)}`;
  return {
    kind: 'storage#object',
    id: `${bucket}/${obj.name}/${obj.generation}`,
    selfLink: `${origin}/storage/v1/${path}`,
    mediaLink: `${origin}/download/storage/v1/${path}?generation=${obj.generation}&alt=media`,
    name: obj.name,
    bucket,
    generation: String(obj.generation),
    metageneration: String(obj.metageneration),
    contentType: obj.contentType,
    storageClass: 'STANDARD',
    size: String(obj.data.length),
    md5Hash: md5Base64(obj.data),
    etag: Buffer.from(`${obj.generation}/${obj.metageneration}`).toString('base64'),
    timeCreated: obj.timeCreated,
    updated: obj.updated,
    ...(obj.metadata && { metadata: obj.metadata }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_UPLOAD_BYTES) reject(new StorageFailure(413, 'uploadTooLarge', `Upload larger than ${MAX_UPLOAD_BYTES} bytes.`));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The two parts (metadata, media) of a `multipart/related` upload. */
function multipart(body: Buffer, contentType: string): { contentType?: string; data: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!/^multipart\/related/i.test(contentType) || !boundary) {
    throw new StorageFailure(400, 'invalid', 'A multipart upload needs Content-Type: multipart/related; boundary=…');
  }
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { contentType?: string; data: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new StorageFailure(400, 'invalid', 'Malformed multipart body.');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    let data = part.subarray(headerEnd + 4);
    if (data.subarray(-2).toString() === '\r\n') data = data.subarray(0, -2);
    parts.push({ contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim(), data });
    at = next;
  }
  if (parts.length !== 2) throw new StorageFailure(400, 'invalid', `A multipart upload has two parts (metadata, media); got ${parts.length}.`);
  return parts;
}
