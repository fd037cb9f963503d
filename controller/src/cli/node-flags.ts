// The flags Node runs `berth` with, wherever Berth starts it: the first line of the built CLI
// (dist/berth.cjs, which the release's bin/berth and deploy/systemd/berth-controller.service run),
// of the checkout's controller/bin/berth.cjs, and the tests' controllers.
//
// The controller's young generation: V8's default 16 MiB semi-spaces let it grow to 48 MiB under
// a burst of applies or an evacuation, held afterwards as RSS. 8 MiB keeps the 1,000-node
// controller of bench:scale (PostgreSQL, 10,000 reservations, 100 nodes lost) at a peak of 382 MB
// instead of 400-412, for ~10 % more CPU in the apply and loss phases (330 against 368 applies/s
// in the same hour, the target being 200). A short CLI command never reaches either size.
export const BERTH_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/** The first line of the `berth` executable: runs it with its flags (env -S splits them). */
export const BERTH_SHEBANG = `#!/usr/bin/env -S node ${BERTH_NODE_FLAGS.join(' ')}`;
