import type { AuthClient } from 'google-auth-library';
import { CredentialsError } from './errors.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

const NO_CREDENTIALS =
  'no Google credentials found: run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS, or use --endpoint/--emulator';

/** Supplies the Authorization (and quota project) headers of each request. */
export type HeaderSource = (url: string) => Promise<Record<string, string>>;

/**
 * Application Default Credentials (service-account key, gcloud user credentials, the metadata
 * server, workload identity federation) with the cloud-platform scope, optionally used to
 * impersonate a service account. The client is created on the first request, so commands that
 * make no calls need no credentials; google-auth-library caches and refreshes the token.
 */
export function adcHeaders(impersonate?: string): HeaderSource {
  let client: Promise<AuthClient> | undefined;
  return async (url) => {
    client ??= createClient(impersonate);
    let headers: Headers;
    try {
      headers = await (await client).getRequestHeaders(url);
    } catch (err) {
      if (err instanceof CredentialsError) throw err;
      throw new CredentialsError(`cannot get a Google access token${impersonate ? ` for ${impersonate}` : ''}: ${firstLine(err)}`);
    }
    return Object.fromEntries(headers.entries());
  };
}

async function createClient(impersonate: string | undefined): Promise<AuthClient> {
  // Our URLs name the project, so the library's own project discovery (a gcloud subprocess, the
  // metadata server, or Cloud Resource Manager for workload identity federation, which needs an
  // extra permission) would only slow getClient() down or fail it: give it a value that is never used.
  // loaded on the first call to Google: the emulator and commands that make no calls never pay for it
  const { GoogleAuth, Impersonated } = await import('google-auth-library');
  const auth = new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE], projectId: 'unused-by-vertexctl' });
  let source: AuthClient;
  try {
    source = await auth.getClient();
  } catch (err) {
    const message = firstLine(err);
    throw new CredentialsError(message.startsWith('Could not load the default credentials') ? NO_CREDENTIALS : `cannot load Google credentials: ${message}`);
  }
  if (!impersonate) return source;
  return new Impersonated({ sourceClient: source, targetPrincipal: impersonate, targetScopes: [CLOUD_PLATFORM_SCOPE], lifetime: 3600 });
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].trim();
}
