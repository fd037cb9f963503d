// What `npm run build` stamped into the bundles (scripts/build.mjs defines __BERTH_BUILD__ with
// esbuild); undefined when the TypeScript sources run directly through tsx. Shared by the
// controller and the agent, which both locate their run-time files differently in a build.
declare const __BERTH_BUILD__: { version: string; commit: string } | undefined;

export interface BuildInfo {
  version: string;
  /** Git commit the build was made from, with "-dirty" when the work tree had changes. */
  commit: string;
}

export const BUILD: BuildInfo | undefined = typeof __BERTH_BUILD__ === 'undefined' ? undefined : __BERTH_BUILD__;
