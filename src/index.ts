// The package's programmatic API: the emulator, protocol drivers, metrics and report types.
export { startEmulator, type EmulatorOptions, type EmulatorStats, type RunningEmulator } from "./emulator/index.js";
export { spawnEmulator, type EmulatorProcess } from "./emulator/process.js";
export { PROTOCOLS, findProtocol } from "./protocols/registry.js";
export type { DriverOptions, ProtocolDefinition, ProtocolDriver, RequestSpec } from "./protocols/types.js";
export { LatencyHistogram, type LatencySummary } from "./metrics/histogram.js";
export { Collector } from "./metrics/collector.js";
export { readReportFile, writeReportFile } from "./report/json.js";
export { evaluateThresholds, parseThresholds } from "./report/thresholds.js";
export type { Report, RequestRecord, RunSummary, ThresholdResult, TimelinePoint } from "./report/types.js";
export { ExitCode, UsageError, RunError } from "./errors.js";
export { measureStreamingOverhead, OVERHEAD_DEFAULTS, type OverheadOptions, type OverheadProtocol, type OverheadResult, type StreamFigures, type GapFigures, type GapPercentiles } from "./overhead/index.js";
export { compareReports, type Comparison, type MetricDelta } from "./report/compare.js";
export { SCENARIOS, findScenario, type Scenario } from "./config/scenarios.js";
export { loadTestConfig, fromScenario, runLoadTest, saveReport, type LoadTestSettings, type LoadTestResult, type RunConfig, type RunOptions } from "./api.js";
export { assessReport, type Assessment, type AssessmentCheck } from "./report/assessment.js";
export { startGrpcGateway, type GrpcGatewayOptions, type GrpcGatewayStats, type RunningGrpcGateway } from "./protocols/grpc-voice/server.js";
export { runSweep, capacityOf, type SweepOptions, type SweepResult, type SweepStep } from "./engine/sweep.js";
export { startSessionNode, type RunningSessionNode, type SessionNodeOptions, type NodeRole, type BrokerSpec } from "./protocols/session/node.js";
