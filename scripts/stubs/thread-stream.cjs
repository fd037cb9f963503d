// Stands in for the thread-stream package in the build: pino loads it at start for transports
// (logging through a worker thread), which Berth never configures; with node:worker_threads it
// costs an idle process ~1.6 MB of memory.
module.exports = class ThreadStream {
  constructor() {
    throw new Error('pino transports are not supported by the Berth build');
  }
};
