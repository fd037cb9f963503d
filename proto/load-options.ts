// How @grpc/proto-loader decodes agent.proto, in one place: proto/index.ts loads the contract with
// these options at run time and proto/generate-types.ts hands the same ones to
// proto-loader-gen-types, so the generated TypeScript describes what a stream actually yields
// (camelCase fields, int64 as JS numbers, every scalar filled with its default, the oneof's name
// set in `msg`).
import type { Options } from '@grpc/proto-loader';

export const LOAD_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const satisfies Options;
