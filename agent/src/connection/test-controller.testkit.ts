// A small but real gRPC AgentService server standing in for the controller in agent tests.
import * as grpc from '@grpc/grpc-js';
import {
  loadAgentService,
  type AgentMessage,
  type ContainerReport,
  type ControllerMessageIn,
  type ControllerStream,
  type DesiredState,
  type Heartbeat,
  type NodeMetrics,
  type Register,
} from '@berth/proto';

export class TestController {
  readonly registrations: Register[] = [];
  readonly reports: ContainerReport[] = [];
  /** For each report, the 1-based number of the registration whose stream carried it. */
  private readonly reportSources: number[] = [];
  /** Metrics of each heartbeat that carried them. */
  readonly heartbeats: NodeMetrics[] = [];
  /** Every heartbeat as received (metrics and engine status). */
  readonly beats: Heartbeat[] = [];
  private readonly streams = new Set<ControllerStream>();
  private server: grpc.Server | undefined;
  port = 0;

  constructor(
    private desired: DesiredState,
    private readonly heartbeatIntervalMs = 100,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Binds 127.0.0.1:port (0 picks a free one; reuse this.port to come back after stop()). */
  async start(port = this.port): Promise<void> {
    const server = new grpc.Server();
    server.addService(loadAgentService().service, { Connect: (s: ControllerStream) => this.onStream(s) });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.server = server;
  }

  /** Drops every stream at once, as a crashed controller would. */
  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
    this.streams.clear();
  }

  setDesired(desired: DesiredState): void {
    this.desired = desired;
    for (const s of this.streams) s.write({ desired } satisfies ControllerMessageIn);
  }

  /** Reports sent on the stream of the n-th registration (1-based). */
  reportsFrom(registration: number): ContainerReport[] {
    return this.reports.filter((_, i) => this.reportSources[i] === registration);
  }

  lastReport(): ContainerReport | undefined {
    return this.reports.at(-1);
  }

  private onStream(s: ControllerStream): void {
    let registration = 0;
    s.on('data', (msg: AgentMessage) => {
      if (msg.register) {
        registration = this.registrations.push(msg.register);
        this.streams.add(s);
        s.write({ registered: { nodeId: `node-${msg.register.nodeName}`, heartbeatIntervalMs: this.heartbeatIntervalMs } });
        s.write({ desired: this.desired });
      } else if (msg.heartbeat) {
        this.beats.push(msg.heartbeat);
        if (msg.heartbeat.metrics) this.heartbeats.push(msg.heartbeat.metrics);
      } else if (msg.report) {
        this.reports.push(msg.report);
        this.reportSources.push(registration);
      }
    });
    s.on('error', () => this.streams.delete(s));
    s.on('end', () => {
      this.streams.delete(s);
      s.end();
    });
  }
}
