/**
 * Google's error body on the wire, `{"error":{"code","message","status","details"}}`: what the
 * API client reads and the emulator writes.
 */
export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}
