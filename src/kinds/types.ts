/**
 * A resource kind: everything the loader, planner, applier and emulator need to know about one
 * API collection. Kinds are data plus a few functions; nothing outside src/kinds/ should
 * special-case a type id.
 */
export type ApiName = 'aiplatform' | 'notebooks';

/** One call a kind's handlers make; src/api's RequestOptions is a superset. */
export interface KindRequest {
  api: ApiName;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** The body as JSON text, in place of `body`: large bodies (metric points) built without an object tree. */
  bodyText?: string;
}

/** What a kind's handlers call the API through (src/api's ApiClient is one; kinds sit below api). */
export interface KindApi {
  request<T>(req: KindRequest): Promise<T>;
}
/** How a write method answers: the resource/empty body directly, or a long-running Operation. */
export type CallStyle = 'sync' | 'lro';

export interface JobBehaviour {
  /** Output-only field that holds the job's state (`state`, `jobState`). */
  stateField: string;
  /** States after which the job never changes again. */
  terminal: string[];
  /** Terminal states that mean the job did not succeed. */
  failed: string[];
  /** Whether the API has `:cancel` for this kind. */
  cancellable: boolean;
  /** Output-only field that carries a google.rpc.Status when the job failed (`error`, `status`). */
  errorField?: string;
}

export interface BatchCreate {
  /** Path template relative to the parent resource name, e.g. `runs:batchCreate`. */
  pathSuffix: string;
  /** Which ancestor is the URL parent: 0 = the direct parent, 1 = the grandparent. */
  parentLevel: number;
  /** Name of the request list field (`requests`) and of each item's id/body fields. */
  requestsField: string;
  itemIdField: string;
  itemBodyField: string;
  /** Name of the response list field (`tensorboardRuns`, `tensorboardTimeSeries`). */
  responseField: string;
  /** The API's limit of items per call. */
  max: number;
}

export interface KindDef {
  /** Type id as written in manifests (StackQL naming), e.g. `google.aiplatform.runs`. */
  type: string;
  api: ApiName;
  /** API version segment of the REST paths. */
  version: 'v1';
  /** Discovery schema id of the resource body. */
  schemaId: string;
  /** Collection segment under the parent (`runs`, `customJobs`). */
  collection: string;
  /** Manifest props that locate the parent, outermost first; also the path segments' variables. */
  parentProps: string[];
  /** Collection segments matching parentProps, outermost first (`projects`, `locations`, ...). */
  parentCollections: string[];
  /** Type of the parent kind when the parent is itself a managed kind (for the DAG). */
  parentType?: string;
  /** Manifest prop holding this resource's own id (`runsId`). */
  idProp: string;
  idChosenBy: 'client' | 'server';
  /** Query parameter that carries the client-chosen id on create (`tensorboardRunId`). */
  createIdParam?: string;
  create: CallStyle;
  /** `none`: the kind cannot be patched, any change to a writable field is a replace. */
  patch: CallStyle | 'none';
  delete: CallStyle;
  /** Top-level body fields that patch may change (the updateMask vocabulary). */
  updatable: string[];
  /** Fields that force a replace when changed (besides everything, for kinds without patch). */
  immutable: string[];
  /** Dotted path to the labels map in the body, or undefined when the kind has no labels. */
  labelsPath?: string;
  /** Whether patch requires an updateMask (runs) or merely accepts one. */
  updateMaskRequired: boolean;
  job?: JobBehaviour;
  batchCreate?: BatchCreate;
  /** Whether list responses carry every field that get does (if not, refresh GETs). */
  listIsComplete: boolean;
  /** Response field of list calls that holds the items (`tensorboardRuns`). */
  listItemsField: string;
  /** Extra query parameters of list calls, e.g. a view that includes every field. */
  listQuery?: Record<string, string>;
  /** Props that are ours, not the API body's (e.g. a time series' data points); read and written by the handlers in virtual-props.ts. */
  virtualProps: string[];
  /**
   * What each virtual prop holds, for validation: a list of an API message (schemas/api/<id>),
   * which `orSource` also allows to be a data file `{ file, tag? }`; or a plain JSON Schema.
   */
  virtualPropSchemas?: Record<string, { listOf: string; orSource?: boolean } | { schema: Record<string, unknown> }>;
  /** Server-side defaults the API fills in, so a diff of unset fields never shows them. */
  serverDefaults?: Record<string, unknown>;
  /** Id rule for client-chosen ids, as the API documents it. */
  idPattern?: RegExp;
  idRule?: string;
}
