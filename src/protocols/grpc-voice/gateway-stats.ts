// The gRPC voice gateway's counters, as its stats() and the emulator's GET /stats report them.
export interface GrpcGatewayStats {
  /** Converse calls received. */
  calls: number;
  /** Calls refused before any event: UNAVAILABLE by --grpc-unavailable-rate, or a status forced by x-tokenstorm-fail. */
  refused: number;
  /** Calls the client half-closed and the gateway ended with OK. */
  completed: number;
  /** Calls the agent dropped (failure injection) or the client cancelled. */
  dropped: number;
  cancelledByClient: number;
  /** Calls open now. */
  active: number;
  /** Distinct client connections (peer addresses) the calls came over. */
  connections: number;
}
