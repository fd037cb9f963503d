// What pino's tools.js reads of node:worker_threads in the build: whether it runs on the main
// thread, which Berth's processes always do (they start no workers), so node:worker_threads
// itself is not loaded for it (see thread-stream.cjs).
module.exports = { isMainThread: true };
