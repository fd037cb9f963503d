// Wire shapes of the REST API as the CLI sees them. Deliberately loose: the server owns
// validation, the CLI only needs enough structure to print.

export interface ObjectMeta {
  name: string;
  uid?: string;
  labels?: Record<string, string>;
  generation?: number;
  creationTimestamp?: string;
}

export interface ApiObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface ApiList<T = ApiObject> {
  apiVersion: string;
  kind: string;
  items: T[];
}

export interface EventObject {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
  time: string;
}

/** A document as written by the user; validated by the server, not here. */
export interface RawManifest {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; labels?: Record<string, string> } & Record<string, unknown>;
  spec?: unknown;
  [key: string]: unknown;
}

export type ApplyAction = 'created' | 'configured' | 'unchanged';

export interface ApplyResult {
  action: ApplyAction;
  object: ApiObject;
}
